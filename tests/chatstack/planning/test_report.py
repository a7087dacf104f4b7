import json

from chatstack.cli import main

REQUIRED_KEYS = {"outboundUpdatesPerSecond", "inboundMessagesPerSecond", "costPerHourUsd", "quotaIncreases"}


def test_the_shipped_250k_stack_is_batched_and_fits_default_quotas_at_50_per_second(capsys):
    assert main(["plan", "--stack", "finals-250k", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["inputs"]["fanOutMode"] == "batched" and plan["inputs"]["messagesPerSecond"] == 50
    assert (plan["verdict"], plan["quotaIncreases"]) == ("fits-defaults", [])
    assert plan["outboundUpdatesPerSecond"] == 250_000  # 250,000 participants x 1 flush/s
    assert plan["costPerHourUsd"] < 3_100
    assert plan["recommendedFanOutMode"] == "batched"


def test_plan_json_has_the_contract_keys_for_the_250k_stack_per_message(capsys):
    assert main(["plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert REQUIRED_KEYS <= set(plan)
    assert plan["stack"] == "finals-250k"
    assert plan["verdict"] == "needs-quota-increases"
    assert plan["outboundUpdatesPerSecond"] == 12_500_000
    assert plan["inboundMessagesPerSecond"] == 50
    assert abs(plan["costPerHourUsd"] - 90_002.97) < 0.01  # OIDC attendees: no Cognito MAU
    assert [{k: q[k] for k in ("quota", "required", "default")} for q in plan["quotaIncreases"]] == [
        {"quota": "outboundMessagesPerSecond", "required": 12_500_000, "default": 1_000_000}]
    assert plan["table"]["maxWriteRequestUnits"] == 500
    assert sum(c["perHourUsd"] for c in plan["costs"]) == plan["costPerHourUsd"]


def test_plan_json_for_dev_fits_defaults(capsys):
    assert main(["plan", "--stack", "dev", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["verdict"], plan["quotaIncreases"], plan["outboundUpdatesPerSecond"]) == ("fits-defaults", [], 400)


def test_impossible_plan_is_printed_and_exits_non_zero(capsys):
    # 100 msg/s x 250,000 = 25M updates/s, beyond the 20M planning ceiling
    code = main(["plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage",
                 "--config", "messagesPerSecond=100", "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    plan = json.loads(out)
    assert plan["verdict"] == "impossible" and plan["outboundUpdatesPerSecond"] == 25_000_000
    assert [b["quota"] for b in plan["impossibleBecause"]] == ["outboundMessagesPerSecond"]
    assert "Real-time outbound messages per second" in err


def test_impossible_text_report_names_the_limit(capsys):
    code = main(["plan", "--stack", "dev", "--config", "chatstack:averageMessageBytes=245760"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Capacity plan for stack dev: IMPOSSIBLE" in out
    assert "[IMPOSSIBLE] Real-time subscription payload size" in out
    assert "chatstack:averageMessageBytes" in err


def test_text_report_shows_ramp_quotas_costs_and_advice(capsys):
    assert main(["plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage"]) == 0
    out = capsys.readouterr().out
    assert "NEEDS-QUOTA-INCREASES" in out
    assert "connection ramp at 200/s: 20.8 min (1,250 s)" in out
    assert "[  INCREASE] Real-time outbound messages per second: needs 12,500,000, default 1,000,000" in out
    assert "AppSync real-time updates" in out and "90,000.00" in out and "270,000.00" in out
    assert "total" in out and "90,002.97" in out
    assert "Fan-out: recommended batched (switch with chatstack:fanOutMode)" in out
    assert "Joining (attendees: oidc; deadline 30.0 min (1,800 s))" in out
    assert "join ramp at default quotas: 20.8 min (1,250 s)" in out


def test_bad_config_and_unknown_stack_exit_2(capsys):
    assert main(["plan", "--stack", "dev", "--config", "fanOutMode=broadcast"]) == 2
    assert "chatstack:fanOutMode" in capsys.readouterr().err
    assert main(["plan", "--stack", "nope"]) == 2
    assert "Pulumi.nope.yaml does not exist" in capsys.readouterr().err


COGNITO_JOIN_CHECKS = {"cognitoUserCreationPerSecond", "cognitoUserAuthenticationPerSecond"}


def test_cognito_attendees_put_sign_up_and_sign_in_on_the_join_path(capsys):
    """Done when: dev at 250,000 with Cognito attendees reports the auth checks and a sign-up-bound ramp."""
    assert main(["plan", "--stack", "dev", "--config", "participants=250000", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    checks = {c["key"]: c for c in plan["quotaChecks"]}
    assert COGNITO_JOIN_CHECKS <= set(checks)
    assert all(checks[key]["serviceCode"] == "cognito-idp" for key in COGNITO_JOIN_CHECKS)
    assert plan["joinRampSeconds"] >= 250_000 / 50
    assert plan["verdict"] != "fits-defaults"
    assert {q["quota"] for q in plan["quotaIncreases"]} >= COGNITO_JOIN_CHECKS
    assert plan["recommendedAttendeeAuth"] == "oidc"


def test_oidc_attendees_have_no_cognito_check_on_the_join_path(capsys):
    assert main(["plan", "--stack", "dev", "--config", "participants=250000", "--config", "attendeeAuth=oidc",
                 "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert not [c for c in plan["quotaChecks"] if c["serviceCode"] == "cognito-idp"]
    assert plan["joinRampSeconds"] == 250_000 / 200  # the connection ramp alone
    assert [step["step"] for step in plan["joinPath"]] == ["connect"]


def test_the_250k_stack_signs_attendees_in_at_the_event_platform_within_its_join_window(capsys):
    assert main(["plan", "--stack", "finals-250k", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["inputs"]["attendeeAuth"] == "oidc" and plan["verdict"] == "fits-defaults"
    assert plan["joinRampSeconds"] <= plan["inputs"]["joinWindowSeconds"]
    assert next(c for c in plan["quotaChecks"] if c["key"] == "newConnectionsPerSecond")["status"] == "ok"
    assert next(c for c in plan["costs"] if c["key"] == "cognitoEssentialsMau")["perEventUsd"] == 0
