"""The README documents every config key and starts with the two set-up commands."""

from chatstack.config import config_keys
from tests.project import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented():
    missing = [key for key in config_keys() if f"`{key}`" not in README]
    assert not missing, f"README lacks {missing}"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make local", "make test"]
