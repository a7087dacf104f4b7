"""`chatstack policy`: the pack's rules run offline on stacks; exit code 1 on any mandatory violation."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence

import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from chatstack.cli import main
from chatstack.offline.evaluation import RegisteredResource
from chatstack.policy.runner import check_resources, policy_resources, resource_args
from chatstack.project import stack_names
from tests.conftest import run_stack
from tests.project import REPO_ROOT, stacks_root

FINALS_ROOT = str(stacks_root())  # the shipped stacks and the filled-in 250k template


def _project(tmp_path, stacks: dict[str, dict], program: str | None = None):
    """A project dir with the real Pulumi.yaml and program (or `program`) and the given stack configs."""
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for program_files in ("schema", "resolvers"):  # the program reads its own schema and resolvers
        shutil.copytree(REPO_ROOT / program_files, tmp_path / program_files)
    if program is None:
        shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    else:
        (tmp_path / "__main__.py").write_text(program, encoding="utf-8")
    for name, config in stacks.items():
        (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return tmp_path


def _dev_config(**changes) -> dict:
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    config.update({f"chatstack:{k}": v for k, v in changes.items()})
    return config


def test_all_shipped_stacks_pass_with_exit_0(capsys):
    assert main(["policy", "--all"]) == 0  # what `make test` runs: the deployable stacks
    out = capsys.readouterr().out
    for stack in stack_names():
        assert f"stack {stack}: passed (0 mandatory" in out


def test_the_250k_template_filled_in_passes_and_left_as_is_is_refused_naming_the_key(capsys):
    assert main(["-C", FINALS_ROOT, "policy", "--stack", "finals-250k"]) == 0
    assert "stack finals-250k: passed (0 mandatory" in capsys.readouterr().out
    placeholder = "chatstack:oidcIssuer=https://login.events.example.com"  # the template's own value
    assert main(["-C", FINALS_ROOT, "policy", "--stack", "finals-250k", "--config", placeholder]) == 2
    captured = capsys.readouterr()
    assert "chatstack:oidcIssuer: 'https://login.events.example.com' is a reserved example host" in (
        captured.out + captured.err)


def test_pitr_off_fails_with_exit_1_naming_rule_and_resource(capsys):
    assert main(["policy", "--stack", "dev", "--config", "pointInTimeRecovery=false"]) == 1
    out = capsys.readouterr().out
    assert "stack dev: FAILED (1 mandatory" in out
    assert "[mandatory] dynamodb-point-in-time-recovery: chat-messages-table" in out
    assert "chatstack:pointInTimeRecovery: true" in out


def test_production_with_password_auth_fails_json(capsys):
    code = main(["-C", FINALS_ROOT, "policy", "--stack", "finals-250k", "--config", "chatstack:allowPasswordAuth=true",
                 "--json"])
    assert code == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    [report] = document["stacks"]
    assert report["stack"] == "finals-250k" and report["passed"] is False
    names = {(v["policy"], v["resource"], v["level"]) for v in report["violations"]}
    assert ("cognito-no-password-auth-production", "chat-users-client", "mandatory") in names


def test_a_bad_stack_file_fails_all_while_good_ones_pass(tmp_path, capsys):
    root = _project(tmp_path, {
        "good": _dev_config(),
        # 40 participants: a production pool's built-in email sender (50 a day) can still confirm them
        "bad": _dev_config(environment="production", allowPasswordAuth=True, pointInTimeRecovery=False,
                           participants=40),
    })
    assert main(["policy", "--all", "--cwd", str(root)]) == 1
    out = capsys.readouterr().out
    assert "stack good: passed" in out and "stack bad: FAILED" in out
    assert "dynamodb-point-in-time-recovery: chat-messages-table" in out
    assert "cognito-no-password-auth-production: chat-users-client" in out
    assert main(["policy", "--stack", "good", "--cwd", str(root)]) == 0


def _with_transform(transform: str) -> str:
    program = (REPO_ROOT / "__main__.py").read_text(encoding="utf-8")
    assert program.count("EventChatStackArgs(\n") == 1
    return program.replace("EventChatStackArgs(\n", f"EventChatStackArgs(\n        transform={transform},\n", 1)


def test_a_component_transform_is_caught(tmp_path, capsys):
    # No config knob turns the depth limit off; a transform on the API can.
    root = _project(tmp_path, {"t": _dev_config()}, _with_transform("{'api': {'api': {'query_depth_limit': 0}}}"))
    assert main(["policy", "--stack", "t", "--cwd", str(root)]) == 1
    assert "[mandatory] appsync-query-depth-limit: chat-graphql-api" in capsys.readouterr().out


def test_advisory_violations_alone_exit_0(tmp_path, capsys):
    # An on-demand table without a ceiling (the plan normally sets one) is advisory only.
    transform = "{'table': {'table': lambda args, opts: args.pop('on_demand_throughput', None) and None}}"
    root = _project(tmp_path, {"t": _dev_config()}, _with_transform(transform))
    assert main(["policy", "--stack", "t", "--cwd", str(root)]) == 0
    out = capsys.readouterr().out
    assert "stack t: passed (0 mandatory, 1 advisory" in out
    assert "[advisory] dynamodb-on-demand-max-throughput: chat-messages-table" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["policy"], "give --stack NAME (repeatable) or --all"),
    (["policy", "--all", "--stack", "dev"], "give --stack NAME (repeatable) or --all"),
    (["policy", "--stack", "dev", "--config", "nonsense"], "--config expects key=value"),
    (["policy", "--stack", "nope"], "Pulumi.nope.yaml does not exist"),
    (["policy", "--stack", "dev", "--config", "defaultAuth=NONE"], "chatstack:defaultAuth"),
])
def test_usage_and_config_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


# ------------------------------------------------------------------ conversion to pulumi-policy types


def test_resources_convert_to_the_engines_argument_types():
    run = run_stack("dev")
    table = run.one("aws:dynamodb/table:Table")
    args = resource_args(table)
    assert args.resource_type == table.type and args.name == table.name and args.urn == table.urn
    assert isinstance(args.props, Mapping) and not isinstance(args.props, dict)  # the engine's proxies
    assert isinstance(args.props["attributes"], Sequence) and not isinstance(args.props["attributes"], list)
    assert args.opts.parent == table.parent and args.opts.protect is table.protect

    converted = {r.urn: r for r in policy_resources(run.resources)}
    client = next(r for r in converted.values() if r.resource_type == "aws:cognito/userPoolClient:UserPoolClient")
    assert client.parent.resource_type == "chatstack:index:ChatUserPool"
    assert "aws:cognito/userPool:UserPool" in {d.resource_type for d in client.dependencies}


def test_inputs_are_not_mutated_by_rules():
    run = run_stack("dev")
    before = json.dumps([r.inputs for r in run.resources], sort_keys=True, default=str)
    check_resources(run.resources)
    assert json.dumps([r.inputs for r in run.resources], sort_keys=True, default=str) == before


def test_unknown_values_and_levels_are_handled_like_the_engine():
    resource = RegisteredResource("aws:x/y:Z", "thing", "urn:x::thing", "", {"v": UNKNOWN_STRING_VALUE}, "id", True)

    def reads(args, report):
        return args.props["v"]

    def stack_reads(args, report):
        report("stack-level problem", None)

    policies = [
        ResourceValidationPolicy(name="reads-unknown", description="d", validate=reads,
                                 enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy(name="off", description="d", validate=lambda a, r: r("never", None),
                                 enforcement_level=EnforcementLevel.DISABLED),
        StackValidationPolicy(name="stacky", description="d", validate=stack_reads,
                              enforcement_level=EnforcementLevel.REMEDIATE),
    ]
    violations = check_resources([resource], policies)
    assert [(v.policy, v.level, v.resource) for v in violations] == [
        ("stacky", "mandatory", "(stack)"),
        ("reads-unknown", "advisory", "(stack)"),
    ]
    assert "can't be known during preview" in violations[1].message


def test_an_archive_kept_forever_by_accident_and_a_consumer_writing_elsewhere_are_caught(tmp_path, capsys):
    transform = ("{'archive': {'lifecycle': lambda args, opts: args['rules'][0].pop('expiration') and None, "
                 "'role': {}}}")
    root = _project(tmp_path, {"t": _dev_config()}, _with_transform(transform))
    assert main(["policy", "--stack", "t", "--cwd", str(root)]) == 1
    assert "[mandatory] archive-retention: chat-archive-bucket" in capsys.readouterr().out

    from components import chat_archive

    policy = json.loads(chat_archive.archive_policy("arn:t", "arn:aws:s3:::b", "arn:l", "arn:q"))
    assert {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]} in policy["Statement"]
