import json
import shutil

from chatstack.cli import main
from tests.project import stacks_root

FINALS_ROOT = str(stacks_root())  # the shipped stacks and the filled-in 250k template

REQUIRED_KEYS = {"outboundUpdatesPerSecond", "inboundMessagesPerSecond", "costPerHourUsd", "quotaIncreases"}


def test_the_shipped_250k_stack_is_batched_and_asks_for_the_outbound_increase_its_bytes_need(capsys):
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["inputs"]["fanOutMode"] == "batched" and plan["inputs"]["messagesPerSecond"] == 50
    assert plan["outboundUpdatesPerSecond"] == 250_000  # 250,000 participants x 1 flush/s, replies inside
    # ... each a ~29 KB batch that AWS meters as 6 messages of 5 kB: 1.5M/s, + 20 % over the 1M default
    assert plan["meteredMessagesPerUpdate"] == 6 and plan["meteredOutboundPerSecond"] == 1_500_000
    assert plan["verdict"] == "needs-quota-increases"
    assert [(q["quota"], q["quotaCode"], q["required"]) for q in plan["quotaIncreases"]] == [
        ("outboundMessagesPerSecond", "L-5DE70651", 1_500_000)]
    costs = {c["key"]: c["perHourUsd"] for c in plan["costs"]}
    # 1.5M x 3,600 x $2/M, + 250,000 connects and 500,000 subscription starts over 3 h
    assert round(costs["appsyncRealtimeUpdates"], 2) == 10_800.50
    # ~24 TB/h of batches to 250,000 clients at tiered rates, second only to the metered updates
    assert 1_800 < costs["dataTransferOut"] < 3_000
    assert plan["dataTransferOutGbPerHour"] > 10_000 and 400 < plan["bytesPerDeliveredMessage"] < 700
    assert plan["costPerHourUsd"] == sum(costs.values()) < 13_000
    assert plan["recommendedFanOutMode"] == "events"  # the same batches through the Event API: half the updates


def test_the_250k_stack_on_the_event_api_pays_half_for_deliveries_and_shows_the_floor(capsys):
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--config", "fanOutMode=events",
                 "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["outboundUpdatesPerSecond"] == 250_000 and plan["meteredOutboundPerSecond"] == 1_500_000
    assert plan["verdict"] == "needs-quota-increases"  # the Event API's outbound quota is also 1M/s
    assert [q["quotaCode"] for q in plan["quotaIncreases"]] == ["L-F643C244"]
    costs = {c["key"]: c["perHourUsd"] for c in plan["costs"]}
    assert "appsyncRealtimeUpdates" not in costs  # attendees hold Event API connections only
    # 1.5M metered deliveries/s x 3,600 x $1/M: half of batched's $10,800, plus the publishes and
    # each attendee's connect + subscribe
    assert 5_400 < costs["appsyncEventOperations"] < 5_400 * 1.001
    modes = {m["mode"]: m for m in plan["modes"]}
    assert modes["events"]["deliveryCostPerHourUsd"] < modes["batched"]["deliveryCostPerHourUsd"]
    assert 1 < modes["events"]["floorRatio"] < modes["batched"]["floorRatio"] < modes["perMessage"]["floorRatio"]
    assert plan["costFloorPerHourUsd"] > 0 and plan["apisForScaleOutHeadroom"] == 3


def test_the_text_report_sets_the_three_modes_side_by_side(capsys):
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--config", "participants=1000000"]) == 0
    out = capsys.readouterr().out
    assert "Fan-out modes side by side" in out and "x floor" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("  perMessage ",
                                                                                          "  batched ", "  events "))}
    assert set(rows) == {"perMessage", "batched", "events"}
    # 1M participants x 6 metered messages a second: 12 APIs for 2x outbound headroom at the 1M default
    assert rows["events"][-1] == rows["batched"][-1] == "12"
    assert rows["batched"][1:3] == ["1,000,000", "6,000,000"]  # updates/s, metered/s
    assert "2x outbound headroom for this mode: 12,000,000 metered messages/s per API" in out
    assert "Flush interval (each subscriber's metered messages" in out
    assert "(this stack)" in out


def test_plan_json_has_the_contract_keys_for_the_250k_stack_per_message(capsys):
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage",
                 "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert REQUIRED_KEYS <= set(plan)
    assert plan["stack"] == "finals-250k"
    assert plan["verdict"] == "needs-quota-increases"
    # 50 messages and 5 replies (10 %) a second, each to 250,000 subscribers
    assert plan["outboundUpdatesPerSecond"] == 13_750_000 and plan["replyUpdatesPerSecond"] == 1_250_000
    assert plan["inboundMessagesPerSecond"] == 55
    updates = next(c for c in plan["costs"] if c["key"] == "appsyncRealtimeUpdates")
    # 13.75M x 3,600 x $2/M, + 250,000 x (connect + 3 subscriptions) x $2/M over 3 h; OIDC: no Cognito MAU
    assert abs(updates["perHourUsd"] - (99_000 + 2 / 3)) < 0.01
    assert [{k: q[k] for k in ("quota", "required", "default")} for q in plan["quotaIncreases"]] == [
        {"quota": "outboundMessagesPerSecond", "required": 13_750_000, "default": 1_000_000}]
    assert plan["table"]["maxWriteRequestUnits"] == 560  # (50 x 5 + 5 x 6) WRU/s x 2
    assert sum(c["perHourUsd"] for c in plan["costs"]) == plan["costPerHourUsd"]


def test_plan_json_for_dev_fits_defaults(capsys):
    assert main(["plan", "--stack", "dev", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["verdict"], plan["quotaIncreases"]) == ("fits-defaults", [])
    assert abs(plan["outboundUpdatesPerSecond"] - 440) < 1e-9  # 200 x (2 messages + 0.2 replies)/s


def test_impossible_plan_is_printed_and_exits_non_zero(capsys):
    # (100 msg/s + 10 replies/s) x 250,000 = 27.5M updates/s, beyond the 20M planning ceiling
    code = main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage",
                 "--config", "messagesPerSecond=100", "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    plan = json.loads(out)
    assert plan["verdict"] == "impossible" and plan["outboundUpdatesPerSecond"] == 27_500_000
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
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--config", "fanOutMode=perMessage"]) == 0
    out = capsys.readouterr().out
    assert "NEEDS-QUOTA-INCREASES" in out
    assert "connection ramp at 200/s: 20.8 min (1,250 s)" in out
    assert "[  INCREASE] Real-time outbound messages per second: needs 13,750,000, default 1,000,000" in out
    assert "+ 20% headroom = 16,500,000" in out
    # 13.75M updates/s x 3,600 x $2/M = $99,000/h, + 250,000 x (connect + 3 subscriptions) = $0.67/h
    assert "AppSync real-time updates" in out and "99,000.67" in out and "297,002.00" in out
    assert "metered outbound/s:   13,750,000 (AWS meters per 5,000 B delivered: the largest update counts 1" in out
    assert "Data transfer out to the internet" in out and "bytes per delivered message:" in out
    assert "(of which replies: 1,250,000; 5 replies/s)" in out
    assert "Fan-out: recommended events (switch with chatstack:fanOutMode)" in out
    assert "Joining (attendees: oidc; deadline 30.0 min (1,800 s))" in out
    assert "join ramp at default quotas: 20.8 min (1,250 s) (within the deadline)" in out


def test_a_1m_stack_without_a_join_window_is_not_fits(capsys):
    """1M attendees at 200 connections/s take 83 minutes; the default deadline (10 % of 3 h) is 18."""
    assert main(["plan", "--stack", "dev", "--config", "participants=1000000", "--config", "attendeeAuth=oidc",
                 "--config", "eventDurationHours=3", "--config", "fanOutMode=batched", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["inputs"]["joinWindowSeconds"] is None
    assert plan["joinRampSeconds"] == 5_000
    assert plan["verdict"] != "fits-defaults"
    connect = next(c for c in plan["quotaChecks"] if c["key"] == "newConnectionsPerSecond")
    assert connect["status"] != "ok" and connect["required"] == 1_000_000 / 1_080


def test_plan_all_prints_every_stack_and_the_shared_account_quotas(capsys, tmp_path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.finals-250k.yaml"):
        shutil.copy(stacks_root() / name, tmp_path / name)
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  chatstack:environment: staging\n")
    code = main(["plan", "--all", "--cwd", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2  # a broken stack file is that stack's failure; the others still plan
    assert "broken" in out and "CONFIG ERROR" in out
    assert "dev" in out and "finals-250k" in out and "fits-defaults" in out
    assert "Account quotas shared by these stacks in us-east-1" in out and "Rate of request tokens" in out
    (tmp_path / "Pulumi.broken.yaml").unlink()
    assert main(["plan", "--all", "--format", "json", "--cwd", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [s["stack"] for s in document["stacks"]] == ["dev", "finals-250k"]
    tokens = next(c for c in document["account"]["us-east-1"] if c["key"] == "requestTokensPerSecond")
    assert tokens["required"] == sum(s["plan"]["requestsPerSecond"] for s in document["stacks"])


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
    assert main(["-C", FINALS_ROOT, "plan", "--stack", "finals-250k", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["inputs"]["attendeeAuth"] == "oidc"
    assert plan["joinRampSeconds"] <= plan["inputs"]["joinWindowSeconds"]
    assert next(c for c in plan["quotaChecks"] if c["key"] == "newConnectionsPerSecond")["status"] == "ok"
    assert next(c for c in plan["costs"] if c["key"] == "cognitoEssentialsMau")["perEventUsd"] == 0


def test_the_250k_template_copied_as_is_fails_plan_and_preview_naming_the_issuer(tmp_path, capsys):
    # what a platform team does first: copy the template to a stack file and try it
    for name in ("Pulumi.yaml", "__main__.py", "schema", "resolvers", "web"):
        (tmp_path / name).symlink_to(stacks_root() / name)
    shutil.copy(stacks_root() / "templates" / "final.yaml", tmp_path / "Pulumi.finals-2027.yaml")
    for command in ("plan", "preview"):
        assert main([command, "--stack", "finals-2027", "--cwd", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "chatstack:oidcIssuer: 'https://login.events.example.com' is a reserved example host" in err, err
