"""The README is a front door: it starts with the two set-up commands and stays short; the
reference pages under docs/reference are what the code generates, and every doc link resolves."""

import re

from chatstack import reference_docs
from chatstack.config import config_keys
from tests.project import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
DOCS = REPO_ROOT / "docs"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make local", "make test"]


def test_readme_is_a_front_door_of_at_most_200_lines():
    assert len(README.splitlines()) <= 200


def test_the_reference_pages_are_what_the_code_generates():
    """Stale? Run `.venv/bin/python -m chatstack.reference_docs` and commit the result."""
    for name, render in reference_docs.PAGES.items():
        assert (DOCS / "reference" / name).read_text(encoding="utf-8") == render(), name


def test_every_config_key_is_in_the_reference():
    reference = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key in config_keys() if f"`{key}`" not in reference]
    assert not missing, f"the configuration reference lacks {missing}"


def test_every_relative_link_in_the_docs_resolves():
    pages = [REPO_ROOT / "README.md", REPO_ROOT / "DEVELOPMENT.md", *DOCS.rglob("*.md")]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO_ROOT)} -> {target}")
    assert not broken, broken
