"""Resource names are the deployed stacks' identity: renaming a child makes `pulumi up` delete
the live resource and create a new one (a table with the event's chat, a user pool with its
users). This test holds every name the program registers (resource_names.json) and fails on a
rename that carries no alias (ResourceOptions(aliases=[pulumi.Alias(name=<old name>)])).

A resource really added or removed: rewrite the file with CHATSTACK_UPDATE_NAMES=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import run_stack

SNAPSHOT = Path(__file__).with_name("resource_names.json")
STACKS = ("dev", "finals-250k")
# The web client's built assets are named by their content hash (assets/index-<hash>.js): a new
# build is meant to replace them (immutable, cached forever), so they are not part of the guard.
HASHED_ASSETS = "-web-file-assets/"


def registered() -> dict[str, dict[str, list[str]]]:
    """{stack: {"type::name": [aliases]}} as the program registers them now."""
    names = {}
    for stack in STACKS:
        names[stack] = {f"{r.type}::{r.name}": sorted(r.aliases) for r in run_stack(stack).resources
                        if HASHED_ASSETS not in r.name}
    return names


def rename_problems(stack: str, current: dict[str, list[str]], before: set[str]) -> list[str]:
    aliased = {f"{key.split('::')[0]}::{alias}" for key, aliases in current.items() for alias in aliases}
    problems = [f"{stack}: {gone} is no longer registered and no resource aliases it: a deployed stack would "
                "replace it (add aliases=[pulumi.Alias(name=<old name>)] to the renamed child, or "
                "CHATSTACK_UPDATE_NAMES=1 if it is really gone)" for gone in sorted(before - set(current) - aliased)]
    problems += [f"{stack}: {added} is new: if it is, CHATSTACK_UPDATE_NAMES=1 records it"
                 for added in sorted(set(current) - before)
                 if not any(f"{added.split('::')[0]}::{a}" in before for a in current[added])]
    return problems


def test_no_resource_is_renamed_without_an_alias():
    now = registered()
    if os.environ.get("CHATSTACK_UPDATE_NAMES") == "1":
        SNAPSHOT.write_text(json.dumps({s: sorted(n) for s, n in now.items()}, indent=1) + "\n")
    kept = json.loads(SNAPSHOT.read_text())
    problems = [p for stack in STACKS for p in rename_problems(stack, now[stack], set(kept[stack]))]
    assert not problems, "\n".join(problems)


RENAMED_PROGRAM = """
import pulumi
import pulumi_aws as aws

aws.sns.Topic("alarms-topic", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=ALIAS)] if ALIAS else None))
"""


def test_a_rename_passes_with_an_alias_and_fails_without(tmp_path):
    from chatstack.offline.evaluation import evaluate_program

    (tmp_path / "Pulumi.yaml").write_text("name: renamed\nruntime: python\n")
    (tmp_path / "Pulumi.s.yaml").write_text("config: {}\n")
    before = {"aws:sns/topic:Topic::alarms"}
    for alias, expected in (('"alarms"', 0), ("None", 2)):
        (tmp_path / "__main__.py").write_text(RENAMED_PROGRAM.replace("ALIAS", alias))
        run = evaluate_program("s", tmp_path)
        current = {f"{r.type}::{r.name}": sorted(r.aliases) for r in run.resources}
        assert len(rename_problems("s", current, before)) == expected, (alias, current)
