"""This checkout as a chatstack project: the files the tests read."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import yaml

from chatstack.project import Project, read_stack_config, read_template_config, stack_names

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(REPO_ROOT)

# The 250k event of the tests: templates/final.yaml filled in as its deploying team fills
# it in (the issuer is the one value a production stack refuses as a placeholder). Offline
# tests never contact this host.
FINALS = "finals-250k"  # the stack the tests make from templates/final.yaml
FINALS_TEMPLATE = "final"
FINALS_VALUES = {"chatstack:oidcIssuer": "https://login.finals-platform.net"}


def finals_config() -> dict[str, str]:
    """The filled-in template's config, as read_stack_config reads a stack file."""
    return {**read_template_config(FINALS_TEMPLATE, REPO_ROOT), **FINALS_VALUES}


@functools.cache
def stacks_root() -> Path:
    """A project (this checkout's files, linked) whose stacks are the shipped ones plus
    Pulumi.finals-250k.yaml made from the template: `-C` for CLI tests of the 250k event."""
    if finals_config().get("chatstack:webApp") == "true":  # the program uploads the real build
        from tests.web_build import built_web_dist

        built_web_dist()
    root = Path(tempfile.mkdtemp(prefix="chatstack-stacks-"))
    atexit.register(shutil.rmtree, root, True)
    for entry in REPO_ROOT.iterdir():
        if not entry.name.startswith("."):
            (root / entry.name).symlink_to(entry)
    config = {key: yaml.safe_load(value) if value[:1] in "[{" else value for key, value in finals_config().items()}
    text = yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=None)
    (root / f"Pulumi.{FINALS}.yaml").write_text(text)
    return root


def shipped_stacks() -> list[str]:
    """The stacks the tests check: the shipped Pulumi.<stack>.yaml files and the filled-in 250k template."""
    return stack_names(stacks_root())


def stack_config(stack: str) -> dict[str, str]:
    """read_stack_config of one of shipped_stacks()."""
    return read_stack_config(stack, stacks_root())
