import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chatstack.config import StackConfigError, parse_config
from chatstack.planning.planner import (
    PlanInputs,
    apply_price_overrides,
    apply_quota_overrides,
    deployment_problems,
    plan_event,
    plan_for_config,
)
from chatstack.planning.quotas import PRICES, QUOTAS

VALID = {"environment": "development", "owner": "team", "participants": "200"}


def finals(mps: float, attendee_auth: str = "oidc") -> PlanInputs:
    # Pulumi.finals-250k.yaml sizing: 250,000 participants, 3 h, 400 B messages, one room, attendees
    # signed in by the event platform (OIDC).
    return PlanInputs(participants=250_000, messages_per_second=mps, event_duration_hours=3,
                      average_message_bytes=400, attendee_auth=attendee_auth)


def cost(plan, key):
    return next(c for c in plan.costs if c.key == key)


# ---------------------------------------------------------------- worked examples


def test_dev_stack_by_hand():
    # Pulumi.dev.yaml: 200 participants, 2 msg/s, 2 h (7,200 s), 400 B (default), perMessage.
    plan = plan_event(PlanInputs(participants=200, messages_per_second=2, event_duration_hours=2,
                                 average_message_bytes=400))
    # outbound = 200 participants x 2 msg/s = 400 updates/s; inbound = 2 publishes/s
    assert plan.outbound_updates_per_second == 400
    assert plan.inbound_messages_per_second == 2
    # ramp = 200 / 200 new connections/s = 1 s; everyone joins in that second: 200 joins/s
    assert plan.connection_ramp_seconds == 1
    assert plan.peak_join_rate == 200
    # item = 400 + 350 = 750 B -> ceil(750/1024) = 1 WRU, written in a transaction (x2) with the
    # slow-mode state (1 WRU x2), + 1 for the bySender GSI = 5 WRU/message
    assert (plan.item_bytes, plan.wru_per_message) == (750, 5)
    # 2 msg/s x 5 WRU = 10 WRU/s; x 7,200 s = 72,000 WRU
    assert (plan.write_units_per_second, plan.write_units_per_event) == (10, 72_000)
    # history: 50 x 750 = 37,500 B -> ceil(37,500/4,096) = 10 x 0.5 (eventually consistent) = 5 RRU,
    # + a consistent ban check per room subscription (3) = 8 RRU per join; 3 RRU per message checked
    assert (plan.rru_per_history_query, plan.rru_per_join, plan.rru_per_message) == (5, 8, 3)
    # peak reads 200 joins/s x 8 + 2 msg/s x 3 = 1,606 RRU/s; per event 200 x 8 + 6 x 7,200 = 44,800 RRU
    assert (plan.read_units_per_second, plan.read_units_per_event) == (1_606, 44_800)
    # payload = 400 + 300 envelope = 700 B
    assert plan.subscription_payload_bytes == 700
    # requests/s = 2 mutations + 200 history queries = 202
    assert plan.requests_per_second == 202
    # $: requests (2 x 7,200 + 200 = 14,600) x 4/M = 0.0584; updates 400 x 7,200 = 2.88M x 2/M = 5.76;
    # connection-minutes 200 x 120 = 24,000 x 0.08/M = 0.00192; WRU 72,000 x 0.625/M = 0.045;
    # RRU 44,800 x 0.125/M = 0.0056; Cognito 200 MAU < 10,000 free = 0
    assert cost(plan, "appsyncRequests").per_event_usd == pytest.approx(0.0584)
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(5.76)
    assert cost(plan, "appsyncConnectionMinutes").per_event_usd == pytest.approx(0.00192)
    assert cost(plan, "dynamodbWriteRequestUnits").per_event_usd == pytest.approx(0.045)
    assert cost(plan, "dynamodbReadRequestUnits").per_event_usd == pytest.approx(0.0056)
    assert cost(plan, "cognitoEssentialsMau").per_event_usd == 0
    # total 5.87092 per event / 2 h = 2.93546 per hour
    assert plan.cost_per_event_usd == pytest.approx(5.87092)
    assert plan.cost_per_hour_usd == pytest.approx(2.93546)
    assert plan.verdict == "fits-defaults" and plan.quota_increases == ()
    # on-demand ceilings: writes max(100 floor, 10 x 2) = 100; reads max(100, 1,606 x 2) = 3,212
    assert (plan.table.max_write_request_units, plan.table.max_read_request_units) == (100, 3_212)


def test_250k_at_1_message_per_second_by_hand():
    plan = plan_event(finals(1))
    # outbound 250,000 x 1 = 250,000/s (a quarter of the default 1,000,000)
    assert plan.outbound_updates_per_second == 250_000
    # ramp 250,000 / 200 = 1,250 s (20.8 min)
    assert plan.connection_ramp_seconds == 1_250
    # updates 250,000 x 10,800 s = 2.7e9 x $2/M = $5,400
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(5_400)
    # OIDC attendees are not Cognito users: no MAU charge (with Cognito attendees:
    # (250,000 - 10,000 free) x $0.015 = $3,600)
    assert cost(plan, "cognitoEssentialsMau").per_event_usd == 0
    assert cost(plan_event(finals(1, "cognito")), "cognitoEssentialsMau").per_event_usd == pytest.approx(3_600)
    # connection-minutes 250,000 x 180 = 45M x $0.08/M = $3.60
    assert cost(plan, "appsyncConnectionMinutes").per_event_usd == pytest.approx(3.6)
    # requests 1 x 10,800 + 250,000 = 260,800 x $4/M = $1.0432
    assert cost(plan, "appsyncRequests").per_event_usd == pytest.approx(1.0432)
    # RRU 250,000 x 8 + 1 x 3 x 10,800 = 2,032,400 x $0.125/M = $0.25405;
    # WRU 5 x 10,800 = 54,000 x $0.625/M = $0.03375
    assert cost(plan, "dynamodbReadRequestUnits").per_event_usd == pytest.approx(0.25405)
    assert cost(plan, "dynamodbWriteRequestUnits").per_event_usd == pytest.approx(0.03375)
    # total 5,404.931 per event; / 3 h = 1,801.643667 per hour
    assert plan.cost_per_event_usd == pytest.approx(5_404.931)
    assert plan.cost_per_hour_usd == pytest.approx(1_801.643667, rel=1e-9)
    assert plan.verdict == "fits-defaults"


def test_250k_at_4_messages_per_second_exactly_fills_the_default():
    plan = plan_event(finals(4))
    # outbound 250,000 x 4 = 1,000,000/s = the default quota: fits, with no headroom
    assert plan.outbound_updates_per_second == 1_000_000
    assert plan.check("outboundMessagesPerSecond").status == "ok"
    assert plan.verdict == "fits-defaults"
    # each message costs 250,000 updates x $2/M = $0.50; per hour 1M x 3,600 = 3.6e9 x $2/M = $7,200
    assert cost(plan, "appsyncRealtimeUpdates").per_hour_usd == pytest.approx(7_200)
    # total: 21,600 updates + 3.6 connections + 1.1728 requests (4 x 10,800 + 250,000 = 293,200
    # x $4/M) + 0.2662 RRU (250,000 x 8 + 12 x 10,800 = 2,129,600 x $0.125/M) + 0.135 WRU
    # (20 x 10,800 = 216,000 x $0.625/M) = 21,605.174 (OIDC: no MAU)
    assert plan.cost_per_event_usd == pytest.approx(21_605.174)
    assert plan.cost_per_hour_usd == pytest.approx(7_201.724667, rel=1e-9)
    # one more participant crosses the quota
    over = plan_event(PlanInputs(participants=250_001, messages_per_second=4, event_duration_hours=3,
                                 average_message_bytes=400, attendee_auth="oidc"))
    assert over.verdict == "needs-quota-increases"


def test_250k_at_50_messages_per_second_needs_a_12_5x_outbound_increase():
    plan = plan_event(finals(50))
    # outbound 250,000 x 50 = 12,500,000/s: 12.5x the default, within the 20x planning ceiling
    assert plan.outbound_updates_per_second == 12_500_000
    assert plan.verdict == "needs-quota-increases"
    [increase] = plan.quota_increases
    assert (increase.key, increase.required, increase.default) == ("outboundMessagesPerSecond", 12_500_000, 1_000_000)
    # updates 12.5M x 10,800 = 1.35e11 x $2/M = $270,000 per event, $90,000 per hour
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(270_000)
    assert cost(plan, "appsyncRealtimeUpdates").per_hour_usd == pytest.approx(90_000)
    # total 270,000 + 3.6 + 3.16 (50 x 10,800 + 250,000 = 790,000 x $4/M) + 0.4525 RRU
    # (250,000 x 8 + 150 x 10,800 = 3.62M x $0.125/M) + 1.6875 WRU (250 WRU/s x 10,800 = 2.7M
    # x $0.625/M) = 270,008.9; / 3 = 90,002.966667 per hour
    assert plan.cost_per_event_usd == pytest.approx(270_008.9)
    assert plan.cost_per_hour_usd == pytest.approx(90_002.966667, rel=1e-9)
    # table ceilings: writes 250 WRU/s x 2 = 500; reads (200 joins/s x 8 RRU + 150) x 2 = 3,500
    assert (plan.table.max_write_request_units, plan.table.max_read_request_units) == (500, 3_500)


def test_beyond_the_planning_ceiling_is_impossible():
    # 250,000 x 81 = 20.25M/s > 20 x 1M ceiling
    plan = plan_event(finals(81))
    assert plan.verdict == "impossible"
    assert [c.key for c in plan.blocking] == ["outboundMessagesPerSecond"]
    assert "fanOutMode batched" in plan.blocking[0].reason


def test_payload_over_240_kb_is_impossible_and_fixed():
    # 240 KB of text + 300 B envelope > 245,760 B; no override of the ceiling helps a fixed limit
    inputs = PlanInputs(participants=10, messages_per_second=1, event_duration_hours=1,
                        average_message_bytes=240 * 1024)
    plan = plan_event(inputs)
    assert plan.verdict == "impossible"
    assert [c.key for c in plan.blocking] == ["subscriptionPayloadBytes"]
    assert "averageMessageBytes" in plan.blocking[0].reason


def test_batched_mode_by_hand():
    # 250,000 participants, 50 msg/s, flush every 1,000 ms: 1 flush/s carrying 50 messages
    plan = plan_event(PlanInputs(participants=250_000, messages_per_second=50, event_duration_hours=3,
                                 average_message_bytes=400, fan_out_mode="batched", attendee_auth="oidc"))
    # outbound 250,000 x 1 = 250,000/s; inbound 1 publish/s
    assert (plan.outbound_updates_per_second, plan.inbound_messages_per_second) == (250_000, 1)
    # payload 300 + 50 x (400 + 200) = 30,300 B
    assert plan.subscription_payload_bytes == 30_300
    # writes 50 x 5 + 1 cursor update = 251 WRU/s
    assert plan.write_units_per_second == 251
    assert plan.verdict == "fits-defaults"


def test_batched_flush_splits_at_200_kb():
    # 1,000 msg/s, 60 s flushes: 60,000 messages of 600 B per flush; (204,800 - 300) // 600 = 340 per
    # publish -> ceil(60,000 / 340) = 177 publishes per flush, 177/60 = 2.95 publishes/s
    plan = plan_event(PlanInputs(participants=1_000, messages_per_second=1_000, event_duration_hours=1,
                                 average_message_bytes=400, fan_out_mode="batched", flush_interval_ms=60_000))
    assert plan.inbound_messages_per_second == pytest.approx(2.95)
    assert plan.subscription_payload_bytes == 300 + 340 * 600 <= 240 * 1024


def test_join_window_requires_a_connection_rate():
    # 250,000 in 10 minutes = 416.7 connections/s > 200: an increase, requestable by its code
    inputs = PlanInputs(participants=250_000, messages_per_second=1, event_duration_hours=3,
                        average_message_bytes=400, join_window_seconds=600, attendee_auth="oidc")
    plan = plan_event(inputs)
    check = plan.check("newConnectionsPerSecond")
    assert check.status == "increase" and check.required == pytest.approx(416.67, abs=0.01)
    assert check.quota_code == "L-C01DB6E6"
    assert deployment_problems(plan, request_quota_increases=False) == []
    assert deployment_problems(plan, request_quota_increases=True) == []
    # a code removed by override (e.g. AWS renumbered it) cannot be requested
    unknown = plan_event(inputs, quotas=apply_quota_overrides({"newConnectionsPerSecond": {"quotaCode": None}}))
    [problem] = deployment_problems(unknown, request_quota_increases=True)
    assert "chatstack:quotaOverrides.newConnectionsPerSecond" in problem


def test_real_time_quotas_carry_their_service_quotas_codes_and_a_dated_source():
    from chatstack.planning.quotas import QUOTAS

    codes = {key: QUOTAS[key].quota_code for key in
             ("newConnectionsPerSecond", "inboundMessagesPerSecond", "outboundMessagesPerSecond")}
    assert codes == {"newConnectionsPerSecond": "L-C01DB6E6", "inboundMessagesPerSecond": "L-A1B022A0",
                     "outboundMessagesPerSecond": "L-5DE70651"}
    for key in codes:
        assert "2026-11-28" in QUOTAS[key].source


# ---------------------------------------------------------------- properties

inputs_strategy = st.builds(
    PlanInputs,
    participants=st.integers(1, 2_000_000),
    messages_per_second=st.floats(0.01, 500, allow_nan=False),
    event_duration_hours=st.floats(0.25, 48, allow_nan=False),
    average_message_bytes=st.integers(50, 20_000),
    fan_out_mode=st.sampled_from(["perMessage", "batched"]),
    flush_interval_ms=st.integers(50, 60_000),
    join_window_seconds=st.none() | st.floats(1, 86_400, allow_nan=False),
    attendee_auth=st.sampled_from(["cognito", "oidc"]),
    built_in_verification_emails=st.booleans(),
)

MONOTONIC = ("outbound_updates_per_second", "inbound_messages_per_second", "requests_per_second",
             "write_units_per_event", "read_units_per_event", "cost_per_event_usd", "cost_per_hour_usd")


def _rank(verdict):
    return ["fits-defaults", "needs-quota-increases", "impossible"].index(verdict)


def _assert_not_less(small, large):
    for name in MONOTONIC:
        assert getattr(large, name) >= getattr(small, name) - 1e-9 * abs(getattr(small, name)), name
    for a, b in zip(small.costs, large.costs, strict=True):
        assert b.per_event_usd >= a.per_event_usd - 1e-9 * a.per_event_usd, a.key
    assert _rank(large.verdict) >= _rank(small.verdict)


@given(inputs_strategy, st.integers(1, 1_000_000))
def test_monotonic_in_participants(inputs, more):
    small = plan_event(inputs)
    large = plan_event(PlanInputs(**{**inputs.__dict__, "participants": inputs.participants + more}))
    _assert_not_less(small, large)


@given(inputs_strategy, st.floats(0.01, 500, allow_nan=False))
def test_monotonic_in_message_rate(inputs, more):
    small = plan_event(inputs)
    large = plan_event(PlanInputs(**{**inputs.__dict__, "messages_per_second": inputs.messages_per_second + more}))
    _assert_not_less(small, large)


@given(inputs_strategy)
def test_costs_add_up_to_the_total(inputs):
    plan = plan_event(inputs)
    assert plan.cost_per_event_usd == pytest.approx(sum(c.per_event_usd for c in plan.costs))
    assert plan.cost_per_hour_usd == pytest.approx(sum(c.per_hour_usd for c in plan.costs))
    assert plan.cost_per_hour_usd * inputs.event_duration_hours == pytest.approx(plan.cost_per_event_usd)
    for line in plan.costs:
        assert line.per_event_usd == pytest.approx(line.units_per_event * line.unit_price_usd / line.per)
        assert line.per_event_usd >= 0
    assert {c.key for c in plan.costs} == set(PRICES) - {"cognitoFreeMau"}


@given(inputs_strategy)
def test_verdict_is_the_worst_quota_status(inputs):
    plan = plan_event(inputs)
    statuses = {c.status for c in plan.quota_checks}
    expected = ("impossible" if "impossible" in statuses
                else "needs-quota-increases" if "increase" in statuses else "fits-defaults")
    assert plan.verdict == expected
    cognito = {"cognitoUserCreationPerSecond", "cognitoUserAuthenticationPerSecond", "cognitoDefaultEmailsPerDay"}
    if inputs.attendee_auth == "oidc":
        expected_keys = set(QUOTAS) - cognito
    else:
        expected_keys = set(QUOTAS) - (set() if inputs.built_in_verification_emails else {"cognitoDefaultEmailsPerDay"})
    assert {c.key for c in plan.quota_checks} == expected_keys


# Inputs where only the outbound quota can be at stake (every other check is far inside its default).
small_events = st.builds(
    PlanInputs,
    participants=st.integers(1, 100_000),
    messages_per_second=st.floats(0.01, 20, allow_nan=False),
    event_duration_hours=st.floats(0.25, 24, allow_nan=False),
    average_message_bytes=st.integers(50, 10_000),
    attendee_auth=st.just("oidc"),  # no sign-in quotas on the join path
)


@given(small_events)
def test_verdict_changes_exactly_where_the_outbound_quota_is_crossed(inputs):
    required = plan_event(inputs).outbound_updates_per_second
    assume(required > 0)
    at = plan_event(inputs, quotas=apply_quota_overrides({"outboundMessagesPerSecond": required}))
    below = math.nextafter(required, 0)
    over = plan_event(inputs, quotas=apply_quota_overrides({"outboundMessagesPerSecond": below}))
    assert at.verdict == "fits-defaults"
    assert over.verdict == "needs-quota-increases"
    assert [(c.quota_code, c.key, c.required, c.default) for c in over.quota_increases] == [
        ("L-5DE70651", "outboundMessagesPerSecond", required, below)]
    # and where the planning ceiling is crossed
    ceiling_at = {"outboundMessagesPerSecond": {"default": below, "ceiling": required}}
    assert plan_event(inputs, quotas=apply_quota_overrides(ceiling_at)).verdict == "needs-quota-increases"
    ceiling_below = {"outboundMessagesPerSecond": {"default": below / 2, "ceiling": below}}
    assert plan_event(inputs, quotas=apply_quota_overrides(ceiling_below)).verdict == "impossible"


@settings(max_examples=50)
@given(st.integers(50, 250_000))
def test_verdict_changes_exactly_where_the_fixed_payload_limit_is_crossed(message_bytes):
    inputs = PlanInputs(participants=10, messages_per_second=1, event_duration_hours=1,
                        average_message_bytes=message_bytes)
    payload = plan_event(inputs).subscription_payload_bytes
    assert plan_event(inputs, quotas=apply_quota_overrides({"subscriptionPayloadBytes": payload})).verdict \
        == "fits-defaults"
    assert plan_event(inputs, quotas=apply_quota_overrides({"subscriptionPayloadBytes": payload - 1})).verdict \
        == "impossible"


# ---------------------------------------------------------------- config

def test_config_overrides_reach_the_plan():
    config = parse_config({
        **VALID, "participants": "250000", "messagesPerSecond": "50", "eventDurationHours": "3",
        # granted increases: 2 x 250,000 sign-ups in 1,080 s = 463/s; 231 sign-ins/s + 69 refreshes/s
        "quotaOverrides": {"outboundMessagesPerSecond": 15_000_000, "cognitoUserCreationPerSecond": 1_000,
                           "cognitoUserAuthenticationPerSecond": 500},
        "priceOverrides": {"appsyncRealtimeUpdates": 1.0, "cognitoFreeMau": 0},
    })
    plan = plan_for_config(config)
    assert plan.verdict == "fits-defaults"
    # 12.5M x 10,800 s x $1/M
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(135_000)
    assert cost(plan, "cognitoEssentialsMau").per_event_usd == pytest.approx(250_000 * 0.015)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("quotaOverrides", {"outbound": 5}, "unknown quota 'outbound'"),
    ("quotaOverrides", {"outboundMessagesPerSecond": -1}, "must be a positive number"),
    ("quotaOverrides", {"outboundMessagesPerSecond": {"max": 5}}, "unknown fields"),
    ("priceOverrides", {"appsync": 1}, "unknown price 'appsync'"),
    ("fanOutMode", "broadcast", "chatstack:fanOutMode: 'broadcast' is not allowed"),
])
def test_bad_overrides_name_the_key(key, value, message):
    with pytest.raises(StackConfigError, match=f"chatstack:{key}") as error:
        parse_config({**VALID, key: value})
    assert message in str(error.value)


def test_quota_and_price_data_name_their_source_and_date():
    for item in [*QUOTAS.values(), *PRICES.values()]:
        assert item.source and item.as_of
    assert QUOTAS["outboundMessagesPerSecond"].adjustable and not QUOTAS["subscriptionPayloadBytes"].adjustable
    assert apply_price_overrides({"appsyncRequests": 5})["appsyncRequests"].usd == 5


@pytest.mark.parametrize(
    ("participants", "rate", "expected"),
    [
        (200, 2, "perMessage"),  # dev: fits, costs the same either way; lowest latency wins
        (250_000, 1, "perMessage"),  # one message per flush: batching saves nothing
        (250_000, 4, "batched"),  # fits the quota exactly, but costs ~2.8x batched
        (250_000, 50, "batched"),  # per-message needs a 12.5x outbound increase
    ],
)
def test_recommended_fan_out_mode(participants, rate, expected):
    for mode in ("perMessage", "batched"):  # the advice does not depend on the current mode
        plan = plan_event(PlanInputs(participants=participants, messages_per_second=rate, event_duration_hours=3,
                                     average_message_bytes=400, fan_out_mode=mode))
        assert plan.recommended_fan_out_mode == expected, plan.recommendation
        assert "perMessage:" in plan.recommendation and "batched:" in plan.recommendation


# ---------------------------------------------------------------- the join path


def test_cognito_join_path_by_hand():
    # 250,000 Cognito attendees, 2 h event, no join window: everyone in within 10 % = 720 s.
    plan = plan_event(PlanInputs(participants=250_000, messages_per_second=1, event_duration_hours=2,
                                 average_message_bytes=400))
    creation = plan.check("cognitoUserCreationPerSecond")
    # SignUp + ConfirmSignUp: 500,000 requests / 720 s = 694.4/s (default 50, ceiling 1,000): an increase
    assert (creation.status, creation.required) == ("increase", pytest.approx(694.44, abs=0.01))
    authentication = plan.check("cognitoUserAuthenticationPerSecond")
    # 250,000 sign-ins / 720 s = 347.2/s, + 250,000 refreshes per hour = 69.4/s
    assert authentication.required == pytest.approx(416.67, abs=0.01) and authentication.status == "increase"
    # ramp at default quotas: sign-up 500,000 / 50 = 10,000 s; sign-in 250,000 / 120 = 2,083 s; connect 1,250 s
    assert {step["quota"]: step["seconds"] for step in plan.join_path} == {
        "newConnectionsPerSecond": 1_250, "cognitoUserCreationPerSecond": 10_000,
        "cognitoUserAuthenticationPerSecond": pytest.approx(2_083.33, abs=0.01)}
    assert plan.join_ramp_seconds == 10_000
    assert plan.verdict == "needs-quota-increases"
    assert plan.recommended_attendee_auth == "oidc" and "694" in plan.attendee_auth_recommendation
    # The same event with OIDC attendees: no Cognito check, the connection ramp alone.
    oidc = plan_event(replace(plan.inputs, attendee_auth="oidc"))
    assert not [c for c in oidc.quota_checks if c.service_code == "cognito-idp"]
    assert (oidc.join_ramp_seconds, oidc.verdict) == (1_250, "fits-defaults")


def test_a_small_cognito_event_keeps_cognito():
    plan = plan_event(PlanInputs(participants=200, messages_per_second=2, event_duration_hours=2,
                                 average_message_bytes=400))
    assert plan.recommended_attendee_auth == "cognito" and plan.verdict == "fits-defaults"
    assert plan.join_ramp_seconds == 400 / 50  # 400 sign-up requests at 50/s


@pytest.mark.parametrize(("participants", "status"), [(50, "ok"), (51, "impossible")])
def test_the_built_in_email_sender_confirms_50_sign_ups_a_day(participants, status):
    plan = plan_event(PlanInputs(participants=participants, messages_per_second=1, event_duration_hours=2,
                                 average_message_bytes=400, built_in_verification_emails=True))
    check = plan.check("cognitoDefaultEmailsPerDay")
    assert (check.status, check.adjustable) == (status, False)
    if status == "impossible":
        assert "chatstack:sesEmailIdentityArn" in check.reason and plan.verdict == "impossible"


def test_production_config_without_ses_sends_built_in_emails_and_with_ses_does_not():
    production = {**VALID, "environment": "production", "participants": "40"}
    assert plan_for_config(parse_config(production)).inputs.built_in_verification_emails
    ses = "arn:aws:ses:us-east-1:123456789012:identity/chat.example.com"
    assert not plan_for_config(parse_config({**production, "sesEmailIdentityArn": ses})).inputs \
        .built_in_verification_emails
    assert not plan_for_config(parse_config(VALID)).inputs.built_in_verification_emails  # development


@given(inputs_strategy)
def test_the_join_ramp_is_the_slowest_step_and_never_faster_than_connecting(inputs):
    plan = plan_event(inputs)
    assert plan.join_ramp_seconds == max(step["seconds"] for step in plan.join_path)
    assert plan.join_ramp_seconds >= plan.connection_ramp_seconds
    if inputs.attendee_auth == "cognito":
        assert plan.join_ramp_seconds >= inputs.participants * 2 / QUOTAS["cognitoUserCreationPerSecond"].default
