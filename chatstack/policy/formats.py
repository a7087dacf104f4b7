"""`chatstack policy` reports for people and for CI: text, JSON, SARIF 2.1.0 (code-scanning
UIs) and JUnit XML (CI test reports). One StackReport per stack; a stack whose config could
not be evaluated carries its error and counts as failed."""

from __future__ import annotations

import json
from collections.abc import Callable
from xml.etree import ElementTree

from pulumi_policy import EnforcementLevel

from chatstack.policy.rules import POLICIES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "chatstack-policy"
CONFIG_RULE = "stack-config"  # not a rule of the pack: the stack file could not be evaluated


def _level(policy) -> str:
    return "error" if policy.enforcement_level == EnforcementLevel.MANDATORY else "warning"


def as_text(reports: list) -> str:
    lines = []
    for report in reports:
        if report.error:
            lines.append(f"stack {report.stack}: FAILED (its config could not be evaluated)")
            lines.append(f"  {report.error}")
            continue
        verdict = "FAILED" if report.mandatory else "passed"
        lines.append(f"stack {report.stack}: {verdict} ({len(report.mandatory)} mandatory, "
                     f"{len(report.advisory)} advisory violations, {len(POLICIES)} rules)")
        for v in report.violations:
            lines.append(f"  [{v.level}] {v.policy}: {v.resource}")
            lines.append(f"      {v.message}")
    return "\n".join(lines)


def as_json(reports: list) -> str:
    return json.dumps({"passed": all(r.passed for r in reports), "stacks": [r.as_dict() for r in reports]},
                      indent=2)


def as_sarif(reports: list) -> str:
    rules = [{"id": p.name, "shortDescription": {"text": p.description},
              "defaultConfiguration": {"level": _level(p)}} for p in POLICIES]
    rules.append({"id": CONFIG_RULE, "shortDescription": {"text": "The stack's config evaluates (chatstack:* keys)."},
                  "defaultConfiguration": {"level": "error"}})
    results = []
    for report in reports:
        location = {"physicalLocation": {"artifactLocation": {"uri": f"Pulumi.{report.stack}.yaml"}}}
        if report.error:
            results.append({"ruleId": CONFIG_RULE, "level": "error", "message": {"text": report.error},
                            "locations": [location]})
        for v in report.violations:
            results.append({
                "ruleId": v.policy,
                "level": "error" if v.level == EnforcementLevel.MANDATORY.value else "warning",
                "message": {"text": v.message},
                "locations": [{**location, "logicalLocations": [
                    {"name": v.resource, "fullyQualifiedName": v.urn, "kind": "resource"}]}],
            })
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": TOOL_NAME, "informationUri": "https://github.com/chatstack/chatstack#policy",
                            "rules": rules}},
        "results": results,
    }]}
    return json.dumps(document, indent=2)


def as_junit(reports: list) -> str:
    """A testsuite per stack, a testcase per rule (a failure per mandatory violation)."""
    suites = ElementTree.Element("testsuites", name="chatstack policy")
    for report in reports:
        suite = ElementTree.SubElement(suites, "testsuite", name=f"policy {report.stack}")
        cases = 0
        failures = errors = 0
        if report.error:
            case = ElementTree.SubElement(suite, "testcase", classname=report.stack, name=CONFIG_RULE)
            ElementTree.SubElement(case, "error", message="the stack's config could not be evaluated").text = \
                report.error
            cases, errors = 1, 1
        else:
            for policy in POLICIES:
                found = [v for v in report.violations if v.policy == policy.name]
                case = ElementTree.SubElement(suite, "testcase", classname=report.stack, name=policy.name)
                cases += 1
                mandatory = [v for v in found if v.level == EnforcementLevel.MANDATORY.value]
                if mandatory:
                    failures += 1
                    ElementTree.SubElement(case, "failure", message=f"{len(mandatory)} mandatory violation(s)",
                                           type="mandatory").text = "\n".join(
                        f"{v.resource}: {v.message}" for v in mandatory)
                elif found:  # advisory: reported, not failed
                    ElementTree.SubElement(case, "system-out").text = "\n".join(
                        f"[advisory] {v.resource}: {v.message}" for v in found)
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


FORMATS: dict[str, Callable[[list], str]] = {"text": as_text, "json": as_json, "sarif": as_sarif, "junit": as_junit}
