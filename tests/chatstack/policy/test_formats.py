"""`chatstack policy --format`: SARIF 2.1.0 and JUnit XML for CI, and one broken stack file
reported as that stack's failure while the others still run."""

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from chatstack.cli import main
from chatstack.policy.rules import POLICIES
from tests.project import stacks_root

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("__main__.py", "schema", "resolvers", "web"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    # a production stack without alarm recipients (a mandatory violation), and a broken file
    (tmp_path / "Pulumi.prod.yaml").write_text((stacks_root() / "Pulumi.finals-250k.yaml").read_text().replace(
        "chatstack:alarmEmails:", "# chatstack:alarmEmails:"))
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  chatstack:environment: staging\n")
    return tmp_path


def test_sarif_names_rules_results_and_the_broken_stack(project, capsys):
    assert main(["policy", "--all", "--format", "sarif", "--cwd", str(project)]) == 2
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {p.name for p in POLICIES} <= rule_ids
    by_rule = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
               for r in run["results"]}
    assert by_rule[("alarm-recipients-production", "Pulumi.prod.yaml")]["level"] == "error"
    broken = by_rule[("stack-config", "Pulumi.broken.yaml")]
    assert "chatstack:environment" in broken["message"]["text"]
    assert not [r for r in run["results"] if "Pulumi.dev.yaml" in json.dumps(r["locations"])]  # dev passed


def test_junit_has_a_testcase_per_rule_and_stack(project, capsys):
    assert main(["policy", "--all", "--format", "junit", "--cwd", str(project)]) == 2
    suites = ElementTree.fromstring(capsys.readouterr().out)
    by_name = {s.get("name"): s for s in suites.iter("testsuite")}
    assert set(by_name) == {"policy broken", "policy dev", "policy prod"}
    dev, prod = by_name["policy dev"], by_name["policy prod"]
    assert (dev.get("tests"), dev.get("failures")) == (str(len(POLICIES)), "0")
    failed = [c.get("name") for c in prod.iter("testcase") if c.find("failure") is not None]
    assert failed == ["alarm-recipients-production"] and prod.get("failures") == "1"
    assert by_name["policy broken"].find("testcase/error") is not None


def test_exit_codes_pass_violation_and_broken(project, capsys):
    assert main(["policy", "--stack", "dev", "--cwd", str(project)]) == 0
    assert main(["policy", "--stack", "prod", "--cwd", str(project)]) == 1
    out = capsys.readouterr().out
    assert "stack prod: FAILED" in out and "alarm-recipients-production" in out
    assert main(["policy", "--stack", "broken", "--stack", "dev", "--format", "json", "--cwd", str(project)]) == 2
    document = json.loads(capsys.readouterr().out)
    assert [(s["stack"], s["passed"]) for s in document["stacks"]] == [("broken", False), ("dev", True)]
