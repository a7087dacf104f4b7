"""policy/: the CrossGuard pack is built from chatstack.policy.rules, the rules the offline runner uses."""

from __future__ import annotations

import ast
import dataclasses
import re
import runpy
import sys

import pulumi_policy
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from chatstack.policy import rules as policy_rules
from tests.project import REPO_ROOT

PACK = REPO_ROOT / "policy"


def test_main_builds_the_pack_from_the_shared_rule_list(monkeypatch):
    built = {}

    class RecordingPack:  # stands in for PolicyPack, which would start a gRPC server and block
        def __init__(self, **kwargs):
            built.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", RecordingPack)
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(PACK / "__main__.py"), run_name="__main__")
    assert built["name"] == policy_rules.PACK_NAME
    assert built["policies"] is policy_rules.POLICIES
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", built["name"])  # PolicyPack's own name check


def test_every_rule_has_a_unique_name_a_level_and_a_description():
    names = [p.name for p in policy_rules.POLICIES]
    assert len(names) == len(set(names)) and "all" not in names
    for policy in policy_rules.POLICIES:
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
        assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY), policy.name
        assert len(policy.description) > 30 and policy.description.endswith("."), policy.name


def test_pack_metadata_and_requirements_match_the_project():
    meta = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert meta["runtime"]["name"] == "python" and meta["version"]
    pins = {line.split("==")[0]: line for line in (PACK / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert set(pins) == {"pulumi", "pulumi-policy"}
    assert all(f'"{pin}"' in pyproject for pin in pins.values())


def test_rule_module_needs_only_the_stdlib_and_pulumi_policy():
    # The pack may run in a virtualenv holding requirements.txt only.
    tree = ast.parse((REPO_ROOT / "chatstack" / "policy" / "rules.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - set(sys.stdlib_module_names) == {"pulumi_policy"}


def test_the_reference_lists_every_rule_with_its_level():
    reference = (PACK.parent / "docs" / "reference" / "policy-rules.md").read_text(encoding="utf-8")
    for policy in policy_rules.POLICIES:
        assert re.search(rf"\| `{re.escape(policy.name)}` \| {policy.enforcement_level.value} \|", reference), \
            policy.name


def test_the_engine_facing_servicer_reports_what_the_offline_runner_reports():
    # Drive pulumi-policy's own gRPC servicer (what `pulumi preview --policy-pack` talks to; a
    # private class) with the resources of a bad stack: same rules fire, at the same levels.
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    from chatstack.policy.runner import check_resources
    from tests.conftest import run_stack

    run = run_stack("finals-250k", allowPasswordAuth="true", pointInTimeRecovery="false",
                    fanOutMode="perMessage")  # the Lambda's code asset is not a plain protobuf value
    # API_KEY is no config option; a transform could still set it
    # Lambda code and the web client's files are assets (no plain protobuf value): the archive's function
    # goes in without its code, the files not at all.
    resources = [dataclasses.replace(r, inputs={**r.inputs, "authenticationType": "API_KEY"})
                 if r.type == "aws:appsync/graphQLApi:GraphQLApi"
                 else dataclasses.replace(r, inputs={k: v for k, v in r.inputs.items() if k != "code"})
                 if r.type == "aws:lambda/function:Function" else r for r in run.resources
                 if r.type != "aws:s3/bucketObjectv2:BucketObjectv2"]
    servicer = _PolicyAnalyzerServicer(policy_rules.PACK_NAME, "0.1.0", policy_rules.POLICIES,
                                       EnforcementLevel.ADVISORY, None, None, None, None, None, None, None)

    def struct(inputs):
        value = struct_pb2.Struct()
        value.update(inputs)
        return value

    def outputs(resource):  # what the engine hands a policy pack: the inputs and what AWS computed (ARNs)
        return struct({**resource.computed, **resource.inputs})

    mandatory = analyzer_pb2.EnforcementLevel.Value("MANDATORY")
    engine = []
    for r in resources:  # a resource rule's diagnostic is about the resource analyzed
        request = analyzer_pb2.AnalyzeRequest(type=r.type, properties=outputs(r), urn=r.urn, name=r.name)
        engine += [(d.policyName, r.urn) for d in servicer.Analyze(request, None).diagnostics
                   if d.enforcementLevel == mandatory]
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=r.type, properties=outputs(r), urn=r.urn, name=r.name,
                                      parent=r.parent, dependencies=r.dependencies)
        for r in resources
    ])
    engine += [(d.policyName, d.urn) for d in servicer.AnalyzeStack(stack_request, None).diagnostics
               if d.enforcementLevel == mandatory]
    offline = sorted((v.policy, v.urn if v.urn != "(stack)" else "") for v in check_resources(resources)
                     if v.level == "mandatory")
    assert sorted(engine) == offline
    assert {"dynamodb-point-in-time-recovery", "appsync-default-auth-cognito-production",
            "cognito-no-password-auth-production"} <= {name for name, _ in engine}
