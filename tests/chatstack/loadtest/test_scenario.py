"""The scenario the master builds: bad options and missing outputs fail naming what to fix;
message texts round-trip; the plan comparison is the planner's arithmetic per room."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatstack.loadtest.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    decode_message,
    encode_message,
    plan_comparison,
)
from tests.project import REPO_ROOT

OUTPUTS = {
    "graphqlUrl": "http://127.0.0.1:1/graphql", "realtimeUrl": "ws://127.0.0.1:1/graphql/realtime",
    "region": "us-east-1", "userPoolId": "us-east-1_pool", "userPoolClientId": "client",
    "cognitoEndpoint": "http://127.0.0.1:2",
}
SIZE = {"users": 20, "spawn_rate": 10.0, "senders": 2, "messages_per_second": 4.0, "duration_s": 5.0, "rooms": 2}


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    return path


def test_the_scenario_comes_from_the_stack_config_and_its_outputs(outputs):
    scenario, config = build_scenario("dev", REPO_ROOT, outputs, **SIZE)
    assert scenario.graphql_url == OUTPUTS["graphqlUrl"] and scenario.cognito_endpoint == OUTPUTS["cognitoEndpoint"]
    assert (scenario.fan_out_mode, scenario.subscription_field) == ("perMessage", "onSendMessage")
    assert scenario.seconds_between_sends == 0.5  # 2 senders share 4 msg/s
    assert {scenario.room(i) for i in range(4)} == {f"rehearsal-{scenario.run_id}-0", f"rehearsal-{scenario.run_id}-1"}
    assert Scenario.from_json(scenario.to_json()) == scenario
    batched, _ = build_scenario("dev", REPO_ROOT, outputs, settings=["fanOutMode=batched"], **SIZE)
    assert batched.subscription_field == "onMessageBatch" and "onMessageBatch" in batched.subscription_query
    assert batched.drain_s > scenario.drain_s  # waits for the last flushes too


def test_a_missing_or_incomplete_outputs_file_names_the_option_and_how_to_get_it(tmp_path):
    with pytest.raises(ScenarioError, match=r"--outputs: .*does not exist.*chatstack local --stack dev"):
        build_scenario("dev", REPO_ROOT, tmp_path / "nope.json", **SIZE)
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({k: v for k, v in OUTPUTS.items() if k != "realtimeUrl"}))
    with pytest.raises(ScenarioError, match="lacks realtimeUrl"):
        build_scenario("dev", REPO_ROOT, partial, **SIZE)


def test_a_cognito_stack_without_password_sign_in_names_the_config_key(outputs):
    with pytest.raises(ScenarioError, match="chatstack:allowPasswordAuth"):
        build_scenario("dev", REPO_ROOT, outputs, settings=["allowPasswordAuth=false"], **SIZE)


def test_an_oidc_stack_needs_the_local_issuer_its_tokens_are_minted_with(outputs, tmp_path):
    oidc = ["attendeeAuth=oidc"]
    with pytest.raises(ScenarioError, match="no local oidcIssuer.*event platform"):
        build_scenario("dev", REPO_ROOT, outputs, settings=oidc, **SIZE)  # e.g. a deployed stack
    served = tmp_path / "served.json"
    served.write_text(json.dumps({**OUTPUTS, "oidcIssuer": "http://127.0.0.1:1/oidc"}))
    with pytest.raises(ScenarioError, match="--oidc-state-dir: no local OIDC issuer state"):
        build_scenario("dev", REPO_ROOT, served, settings=oidc, oidc_state_dir=tmp_path, **SIZE)
    (tmp_path / "oidc.json").write_text(json.dumps({"issuer": "http://127.0.0.1:9/oidc"}))
    with pytest.raises(ScenarioError, match="holds the issuer http://127.0.0.1:9/oidc"):
        build_scenario("dev", REPO_ROOT, served, settings=oidc, oidc_state_dir=tmp_path, **SIZE)
    (tmp_path / "oidc.json").write_text(json.dumps({"issuer": "http://127.0.0.1:1/oidc"}))
    scenario, _ = build_scenario("dev", REPO_ROOT, served, settings=oidc, oidc_state_dir=tmp_path, **SIZE)
    assert (scenario.attendee_auth, scenario.oidc_state_dir) == ("oidc", str(tmp_path))


@pytest.mark.parametrize("change, option", [
    ({"senders": 0}, "--senders"), ({"senders": 21}, "--senders"), ({"rooms": 0}, "--rooms"),
    ({"rooms": 21}, "--rooms"), ({"messages_per_second": 0}, "--messages-per-second"),
    ({"duration_s": 0}, "--duration"), ({"spawn_rate": 0}, "--spawn-rate"),
])
def test_impossible_sizes_are_refused_naming_the_option(outputs, change, option):
    with pytest.raises(ScenarioError, match=option):
        build_scenario("dev", REPO_ROOT, outputs, **{**SIZE, **change})


def test_message_texts_round_trip_and_foreign_texts_are_ignored():
    text = encode_message("run1", "0.abc", 7, 1234.5)
    assert decode_message(text, "run1") == ("0.abc", 7, 1234.5)
    assert decode_message(text, "run2") is None
    assert decode_message("hello everyone", "run1") is None
    assert decode_message("rehearsal run1 s x 1.0", "run1") is None


def test_the_plan_comparison_is_the_planner_per_room(outputs):
    scenario, config = build_scenario("dev", REPO_ROOT, outputs, **SIZE)
    comparison = plan_comparison(config, scenario, measured_updates_per_s=36.0, users=20)
    # perMessage: each of 2 rooms has 10 participants receiving 2 msg/s.
    assert comparison["expectedOutboundUpdatesPerSecond"] == 40.0
    assert comparison["measuredToExpected"] == 0.9
    assert comparison["stackPlan"]["participants"] == 200  # Pulumi.dev.yaml
    batched, batched_config = build_scenario("dev", REPO_ROOT, outputs, settings=["fanOutMode=batched"], **SIZE)
    # batched, 1 s flushes: each room gets at most one update per participant per second.
    assert plan_comparison(batched_config, batched, None, users=20)["expectedOutboundUpdatesPerSecond"] == 20.0
