import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chatstack.config import StackConfigError, parse_config
from chatstack.planning.payload import batch_frame_bytes, per_message_frame_bytes
from chatstack.planning.planner import (
    BATCH_SPLIT_BYTES,
    PlanInputs,
    apply_price_overrides,
    apply_quota_overrides,
    cost_floor_per_hour,
    deployed_flush_interval_ms,
    deployment_problems,
    metered_messages,
    plan_event,
    plan_for_config,
)
from chatstack.planning.quotas import METERED_MESSAGE_BYTES, PRICES, QUOTAS

VALID = {"environment": "development", "owner": "team", "participants": "200"}


def finals(mps: float, attendee_auth: str = "oidc") -> PlanInputs:
    # templates/finals-250k.yaml sizing: 250,000 participants, 3 h, 400 B messages, one room, attendees
    # signed in by the event platform (OIDC).
    return PlanInputs(participants=250_000, messages_per_second=mps, event_duration_hours=3,
                      average_message_bytes=400, attendee_auth=attendee_auth, replies_per_second=0)


def cost(plan, key):
    return next(c for c in plan.costs if c.key == key)


# ---------------------------------------------------------------- worked examples

# Frames measured from the payloads the system builds (chatstack.planning.payload): one
# onSendMessage delivery of a 400 B message, and a batch's size per message and overhead.
FRAME_400 = per_message_frame_bytes(400)
BATCH_PER_MESSAGE_400 = batch_frame_bytes(2, 400) - batch_frame_bytes(1, 400)
BATCH_BASE_400 = batch_frame_bytes(1, 400) - BATCH_PER_MESSAGE_400


def test_measured_frames_are_the_text_plus_a_bounded_overhead():
    # 400 B of text, the fields a subscriber selects and the real-time frame around them.
    assert 400 + 250 < FRAME_400 < 400 + 450
    # packed: the id, the sender (each message from another attendee, as at a big event), the text
    assert 400 + 90 < BATCH_PER_MESSAGE_400 < 400 + 150
    # linear in the messages, but for the senders' index digits (s: 10 and above take two)
    assert 0 <= batch_frame_bytes(50, 400) - (BATCH_BASE_400 + 50 * BATCH_PER_MESSAGE_400) <= 50


def test_dev_stack_by_hand():
    # Pulumi.dev.yaml: 200 participants, 2 msg/s, 2 h (7,200 s), 400 B (default), perMessage; no replies.
    plan = plan_event(PlanInputs(participants=200, messages_per_second=2, event_duration_hours=2,
                                 average_message_bytes=400, replies_per_second=0))
    # outbound = 200 participants x 2 msg/s = 400 updates/s; inbound = 2 publishes/s; each update
    # (< 5 kB) is one metered message
    assert plan.outbound_updates_per_second == plan.metered_outbound_per_second == 400
    assert plan.inbound_messages_per_second == plan.metered_inbound_per_second == 2
    # ramp = 200 / 200 new connections/s = 1 s; everyone may join in that second: 200 joins/s
    assert plan.connection_ramp_seconds == 1
    assert plan.peak_join_rate == 200
    # the deadline (10 % of 2 h = 720 s) still asks a rate: 200 / 720 = 0.28/s
    assert plan.check("newConnectionsPerSecond").required == pytest.approx(200 / 720)
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
    # payload = the measured onSendMessage frame
    assert plan.subscription_payload_bytes == FRAME_400 == plan.bytes_per_delivered_message
    # requests/s = 2 mutations + 200 history queries = 202
    assert plan.requests_per_second == 202
    # $: requests (2 x 7,200 + 200 = 14,600) x 4/M = 0.0584; updates 400 x 7,200 = 2.88M, + each
    # attendee's connect and 3 subscriptions (800) = 2,880,800 x 2/M = 5.7616; connection-minutes
    # 200 x 120 = 24,000 x 0.08/M = 0.00192; WRU 72,000 x 0.625/M = 0.045;
    # RRU 44,800 x 0.125/M = 0.0056; Cognito 200 MAU < 10,000 free = 0; logs at ERROR: 0
    assert cost(plan, "appsyncRequests").per_event_usd == pytest.approx(0.0584)
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(5.7616)
    assert cost(plan, "appsyncConnectionMinutes").per_event_usd == pytest.approx(0.00192)
    assert cost(plan, "dynamodbWriteRequestUnits").per_event_usd == pytest.approx(0.045)
    assert cost(plan, "dynamodbReadRequestUnits").per_event_usd == pytest.approx(0.0056)
    assert cost(plan, "cognitoEssentialsMau").per_event_usd == 0
    assert cost(plan, "cloudwatchLogsIngestion").per_event_usd == 0
    # data transfer: 2.88M frames x FRAME_400 B, at $0.09/GB (first tier)
    gb = 2_880_000 * FRAME_400 / 1024**3
    assert cost(plan, "dataTransferOut").units_per_event == pytest.approx(gb)
    assert cost(plan, "dataTransferOut").per_event_usd == pytest.approx(gb * 0.09)
    assert plan.cost_per_event_usd == pytest.approx(5.87252 + gb * 0.09)
    assert plan.verdict == "fits-defaults" and plan.quota_increases == ()
    # on-demand ceilings: writes max(100 floor, 10 x 2) = 100; reads max(100, 1,606 x 2) = 3,212
    assert (plan.table.max_write_request_units, plan.table.max_read_request_units) == (100, 3_212)


def test_250k_at_1_message_per_second_by_hand():
    plan = plan_event(finals(1))
    # outbound 250,000 x 1 = 250,000/s (a quarter of the default 1,000,000)
    assert plan.outbound_updates_per_second == 250_000
    # ramp 250,000 / 200 = 1,250 s (20.8 min), inside the deadline of 10 % of 3 h = 1,080 s? No: past it.
    assert plan.connection_ramp_seconds == 1_250
    assert plan.check("newConnectionsPerSecond").required == pytest.approx(250_000 / 1_080)
    assert plan.verdict == "needs-quota-increases"  # the join ramp is past the default deadline
    # updates 250,000 x 10,800 s = 2.7e9, + 250,000 x (connect + 3 subscriptions) = 2.701e9 x $2/M = $5,402
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(5_402)
    # OIDC attendees are not Cognito users: no MAU charge (with Cognito attendees:
    # (250,000 - 10,000 free) x $0.015 = $3,600)
    assert cost(plan, "cognitoEssentialsMau").per_event_usd == 0
    assert cost(plan_event(finals(1, "cognito")), "cognitoEssentialsMau").per_event_usd == pytest.approx(3_600)
    # connection-minutes 250,000 x 180 = 45M x $0.08/M = $3.60
    assert cost(plan, "appsyncConnectionMinutes").per_event_usd == pytest.approx(3.6)
    # data transfer: 2.7e9 frames x FRAME_400 B = ~2 TB, all in the first tier ($0.09/GB)
    gb = 2.7e9 * FRAME_400 / 1024**3
    assert cost(plan, "dataTransferOut").per_event_usd == pytest.approx(gb * 0.09)
    # with a 30-minute join window the ramp (1,250 s) fits: 139 connections/s + 20 % = 167 <= 200
    assert plan_event(replace(finals(1), join_window_seconds=1_800)).verdict == "fits-defaults"


def test_a_quota_filled_to_100_percent_is_not_ok():
    plan = plan_event(replace(finals(4), join_window_seconds=1_800))
    # outbound 250,000 x 4 = 1,000,000/s = the default quota: no headroom, so an increase
    assert plan.outbound_updates_per_second == 1_000_000
    check = plan.check("outboundMessagesPerSecond")
    assert (check.status, check.target) == ("increase", 1_200_000)
    assert plan.verdict == "needs-quota-increases"
    # 0 % headroom (chatstack:quotaHeadroom 0) takes the quota at face value
    assert plan_event(replace(plan.inputs, quota_headroom=0)).verdict == "fits-defaults"
    # 3.3 msg/s: 825,000 x 1.2 = 990,000 fits
    assert plan_event(replace(plan.inputs, messages_per_second=3.3)).check("outboundMessagesPerSecond").status \
        == "ok"

    # a 240 KB message cannot fit AppSync's fixed payload limit whatever the quota overrides say
    inputs = PlanInputs(participants=10, messages_per_second=1, event_duration_hours=1,
                        average_message_bytes=240 * 1024)
    plan = plan_event(inputs)
    assert plan.verdict == "impossible"
    assert [c.key for c in plan.blocking] == ["subscriptionPayloadBytes"]
    assert "averageMessageBytes" in plan.blocking[0].reason


def test_batched_mode_by_hand():
    # 250,000 participants, 50 msg/s, flush every 1,000 ms: 1 flush/s carrying 50 messages
    plan = plan_event(PlanInputs(participants=250_000, messages_per_second=50, event_duration_hours=3,
                                 average_message_bytes=400, fan_out_mode="batched", attendee_auth="oidc",
                                 join_window_seconds=1_800, replies_per_second=0))
    # outbound 250,000 x 1 = 250,000/s; inbound 1 publish/s
    assert (plan.outbound_updates_per_second, plan.inbound_messages_per_second) == (250_000, 1)
    # payload = measured batch of 50 messages (~26 KB): AWS meters it as 6 messages of 5 kB
    assert plan.subscription_payload_bytes == batch_frame_bytes(50, 400)
    assert 25_000 < plan.subscription_payload_bytes <= 30_000
    assert plan.metered_messages_per_update == 6
    assert (plan.metered_outbound_per_second, plan.metered_inbound_per_second) == (1_500_000, 6)
    # 1.5M metered/s + 20 % = 1.8M against the 1M default: an increase, however the deliveries count
    outbound = plan.check("outboundMessagesPerSecond")
    assert (outbound.required, outbound.target, outbound.status) == (1_500_000, 1_800_000, "increase")
    assert plan.verdict == "needs-quota-increases"
    # updates: 1.5M x 10,800 s + 250,000 x (connect + 2 subscriptions) = 16.20075e9 x $2/M = $32,401.50
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(32_401.5)
    assert plan.bytes_per_delivered_message == pytest.approx(plan.subscription_payload_bytes / 50)
    # data transfer: 250,000 x payload B/s x 3,600 s per hour
    assert plan.data_transfer_out_gb_per_hour == pytest.approx(250_000 * plan.subscription_payload_bytes * 3600
                                                               / 1024**3)
    # writes 50 x 5 + 1 cursor update = 251 WRU/s
    assert plan.write_units_per_second == 251
    # the consumer is billed: one invocation per flush
    assert cost(plan, "lambdaRequests").units_per_event == 10_800


def test_data_transfer_is_tiered():
    # ~30 TB per event crosses the 10 TB and 50 TB tier bounds
    plan = plan_event(PlanInputs(participants=250_000, messages_per_second=50, event_duration_hours=3,
                                 average_message_bytes=400, fan_out_mode="batched", attendee_auth="oidc",
                                 replies_per_second=0))
    line = cost(plan, "dataTransferOut")
    gb = line.units_per_event
    assert gb > 50 * 1024
    tiers = 10 * 1024 * 0.09 + 40 * 1024 * 0.085 + (min(gb, 150 * 1024) - 50 * 1024) * 0.07 \
        + max(0, gb - 150 * 1024) * 0.05
    assert line.per_event_usd == pytest.approx(tiers)
    assert 0.05 < line.unit_price_usd < 0.09


def test_reply_fan_out_is_counted():
    base = PlanInputs(participants=250_000, messages_per_second=1, event_duration_hours=3,
                      average_message_bytes=400, attendee_auth="oidc", join_window_seconds=1_800)
    # perMessage: every reply goes to every subscriber (onReply)
    with_replies = plan_event(replace(base, replies_per_second=1))
    assert with_replies.reply_updates_per_second == 250_000
    assert with_replies.outbound_updates_per_second == 500_000
    # without a setting, replies are planned at 10 % of the message rate
    assert plan_event(base).inputs.reply_rate == pytest.approx(0.1)
    assert plan_event(base).reply_updates_per_second == pytest.approx(25_000)


@pytest.mark.parametrize(("interval", "deployed"), [(50, 250), (500, 250), (1000, 1000), (1500, 1000),
                                                    (60_000, 60_000)])
def test_flush_intervals_are_planned_as_the_event_source_mapping_deploys_them(interval, deployed):
    # The batching window is whole seconds; 0 s means a flush per stream poll (4 a second).
    assert deployed_flush_interval_ms(interval) == deployed
    plan = plan_event(PlanInputs(participants=1_000, messages_per_second=1, event_duration_hours=1,
                                 average_message_bytes=400, fan_out_mode="batched", flush_interval_ms=interval,
                                 replies_per_second=0))
    assert plan.deployed_flush_interval_ms == deployed
    assert plan.inbound_messages_per_second == pytest.approx(min(1, 1000 / deployed))


def test_batched_flush_splits_at_200_kb():
    # 1,000 msg/s, 60 s flushes: 60,000 messages per flush, split into publishes of at most 200,000 B
    # (40 whole metered messages, so a full publish wastes none of its last one)
    assert BATCH_SPLIT_BYTES == 200_000 == 40 * METERED_MESSAGE_BYTES
    plan = plan_event(PlanInputs(participants=1_000, messages_per_second=1_000, event_duration_hours=1,
                                 average_message_bytes=400, fan_out_mode="batched", flush_interval_ms=60_000,
                                 replies_per_second=0))
    per_publish = max(k for k in range(1, 600) if batch_frame_bytes(k, 400) <= 200_000)
    full, rest = divmod(60_000, per_publish)
    assert plan.inbound_messages_per_second == pytest.approx(math.ceil(60_000 / per_publish) / 60)
    assert plan.subscription_payload_bytes == batch_frame_bytes(per_publish, 400) <= 200_000
    assert plan.metered_messages_per_update == 40
    # each full publish is 40 metered messages, the last one's own size: per flush, to each subscriber
    metered_per_flush = full * 40 + metered_messages(batch_frame_bytes(rest, 400))
    assert plan.metered_inbound_per_second == pytest.approx(metered_per_flush / 60)
    assert plan.metered_outbound_per_second == pytest.approx(1_000 * metered_per_flush / 60)


@pytest.mark.parametrize(("size", "metered"), [(1, 1), (4_999, 1), (5_000, 1), (5_001, 2), (28_802, 6),
                                               (200_000, 40)])
def test_a_delivery_is_metered_per_5_kb_started(size, metered):
    assert metered_messages(size) == metered


def test_with_bytes_metered_the_flush_interval_saves_only_the_rounding_at_250k():
    # 55 items/s of ~524 B: each subscriber receives ~28.8 KB a second however it is cut. 1 s flushes
    # are 6 metered messages a second; 250 ms flushes round up 4 times (2 each: 8/s); 5 s flushes
    # round up once per 5 s (29 per 5 s: 5.8/s). Bytes, not flushes, set the quota.
    plan = plan_event(PlanInputs(participants=250_000, messages_per_second=50, event_duration_hours=3,
                                 average_message_bytes=400, fan_out_mode="batched", attendee_auth="oidc",
                                 join_window_seconds=1_800))
    options = {o.flush_interval_ms: o for o in plan.flush_options}
    assert list(options) == [250, 1000, 2000, 5000]
    assert {ms: o.metered_outbound_per_second for ms, o in options.items()} == pytest.approx(
        {250: 2_000_000, 1000: 1_500_000, 2000: 1_500_000, 5000: 1_450_000})
    assert all(o.verdict == "needs-quota-increases" for o in options.values())
    assert options[1000].delivery_cost_per_hour_usd == pytest.approx(plan.delivery_cost_per_hour_usd)
    # few bytes per flush: each flush is one metered message, so a longer flush saves in proportion
    quiet = plan_event(replace(plan.inputs, messages_per_second=1, replies_per_second=0))
    quiet_options = {o.flush_interval_ms: o.metered_outbound_per_second for o in quiet.flush_options}
    assert quiet_options == pytest.approx({250: 250_000, 1000: 250_000, 2000: 125_000, 5000: 250_000 / 5})
    assert plan_event(replace(plan.inputs, fan_out_mode="perMessage")).flush_options == ()


def test_join_window_requires_a_connection_rate():
    # 250,000 in 10 minutes = 416.7 connections/s > 200: an increase, requestable by its code
    inputs = PlanInputs(participants=250_000, messages_per_second=1, event_duration_hours=3,
                        average_message_bytes=400, join_window_seconds=600, attendee_auth="oidc")
    plan = plan_event(inputs)
    check = plan.check("newConnectionsPerSecond")
    assert check.status == "increase" and check.required == pytest.approx(416.67, abs=0.01)
    assert check.target == pytest.approx(500)  # what an increase request asks for: + 20 % headroom
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
    fan_out_mode=st.sampled_from(["perMessage", "batched", "events"]),
    flush_interval_ms=st.integers(50, 60_000),
    join_window_seconds=st.none() | st.floats(1, 86_400, allow_nan=False),
    attendee_auth=st.sampled_from(["cognito", "oidc"]),
    built_in_verification_emails=st.booleans(),
    replies_per_second=st.none() | st.floats(0, 50, allow_nan=False),
    quota_headroom=st.sampled_from([0.0, 0.2, 0.5]),
    log_level=st.sampled_from(["ERROR", "ALL"]),
    xray_enabled=st.booleans(),
)

MONOTONIC = ("outbound_updates_per_second", "inbound_messages_per_second", "metered_outbound_per_second",
             "metered_inbound_per_second", "requests_per_second",
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
    expected = set(PRICES) - {"cognitoFreeMau"} | {"dataTransferOut"}
    if inputs.fan_out_mode == "perMessage":
        expected -= {"lambdaRequests", "lambdaArmGbSeconds"}
    # delivery: GraphQL real-time updates, or (events) Event API operations; never both
    expected -= ({"appsyncRealtimeUpdates", "appsyncConnectionMinutes"} if inputs.fan_out_mode == "events"
                 else {"appsyncEventOperations", "appsyncEventConnectionMinutes"})
    if not inputs.xray_enabled:
        expected -= {"xrayTracesRecorded"}
    assert {c.key for c in plan.costs} == expected


@given(inputs_strategy)
def test_the_verdict_agrees_with_the_join_ramp_and_the_deadline(inputs):
    plan = plan_event(inputs)
    if plan.join_ramp_seconds > inputs.join_deadline_seconds:
        assert plan.verdict != "fits-defaults"
    for check in plan.quota_checks:
        assert (check.status == "ok") == (check.target <= check.default)
        assert check.target == pytest.approx(check.required * (1 + inputs.quota_headroom))


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
    realtime = {"newConnectionsPerSecond", "inboundMessagesPerSecond", "outboundMessagesPerSecond",
                "subscriptionsPerConnection", "subscriptionPayloadBytes"}
    events = {f"events{key[0].upper()}{key[1:]}" for key in realtime}
    expected_keys -= realtime if inputs.fan_out_mode == "events" else events
    assert {c.key for c in plan.quota_checks} == expected_keys


# Inputs where only the outbound quota can be at stake (every other check is far inside its default).
small_events = st.builds(
    PlanInputs,
    participants=st.integers(1, 100_000),
    messages_per_second=st.floats(0.01, 20, allow_nan=False),
    event_duration_hours=st.floats(0.25, 24, allow_nan=False),
    average_message_bytes=st.integers(50, 10_000),
    attendee_auth=st.just("oidc"),  # no sign-in quotas on the join path
    join_window_seconds=st.just(86_400.0),  # far inside the connection quota
    quota_headroom=st.just(0.0),  # the quota at face value
)


@given(small_events)
def test_verdict_changes_exactly_where_the_outbound_quota_is_crossed(inputs):
    required = plan_event(inputs).metered_outbound_per_second
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
                        average_message_bytes=message_bytes, quota_headroom=0)
    payload = plan_event(inputs).subscription_payload_bytes
    assert plan_event(inputs, quotas=apply_quota_overrides({"subscriptionPayloadBytes": payload})).verdict \
        == "fits-defaults"
    assert plan_event(inputs, quotas=apply_quota_overrides({"subscriptionPayloadBytes": payload - 1})).verdict \
        == "impossible"


# ---------------------------------------------------------------- config

def test_config_overrides_reach_the_plan():
    config = parse_config({
        **VALID, "participants": "250000", "messagesPerSecond": "50", "eventDurationHours": "3",
        # granted increases: 2 x 250,000 sign-ups in 1,080 s = 463/s; 231 sign-ins/s + 69 refreshes/s;
        # 250,000 joins in 1,080 s = 231 connections/s; 12.5M + 1.25M reply updates/s (+ 20 %)
        "repliesPerSecond": "0", "joinWindowSeconds": "1080",
        "quotaOverrides": {"outboundMessagesPerSecond": 15_000_000, "cognitoUserCreationPerSecond": 1_000,
                           "cognitoUserAuthenticationPerSecond": 500, "newConnectionsPerSecond": 300},
        "priceOverrides": {"appsyncRealtimeUpdates": 1.0, "cognitoFreeMau": 0},
    })
    plan = plan_for_config(config)
    assert plan.verdict == "fits-defaults"
    # (12.5M x 10,800 s + 250,000 x (connect + 3 subscriptions)) x $1/M
    assert cost(plan, "appsyncRealtimeUpdates").per_event_usd == pytest.approx(135_001)
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
    assert QUOTAS["eventsOutboundMessagesPerSecond"].adjustable
    assert not QUOTAS["eventsSubscriptionPayloadBytes"].adjustable
    assert apply_price_overrides({"appsyncRequests": 5})["appsyncRequests"].usd == 5


@pytest.mark.parametrize(
    ("participants", "rate", "expected"),
    [
        (200, 2, "perMessage"),  # dev: fits, costs the same either way; lowest latency wins
        (250_000, 1, "events"),  # one message per flush: GraphQL batching saves nothing, the Event API half
        (250_000, 4, "events"),  # per-message needs an outbound increase and costs ~7x
        (250_000, 50, "events"),  # per-message needs a 12.5x outbound increase
    ],
)
def test_recommended_fan_out_mode(participants, rate, expected):
    for mode in ("perMessage", "batched", "events"):  # the advice does not depend on the current mode
        plan = plan_event(PlanInputs(participants=participants, messages_per_second=rate, event_duration_hours=3,
                                     average_message_bytes=400, fan_out_mode=mode, replies_per_second=0,
                                     join_window_seconds=1_800))
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
    # 1,250 s is past the 720 s deadline: more connections/s, or a join window
    assert (oidc.join_ramp_seconds, oidc.verdict) == (1_250, "needs-quota-increases")
    assert plan_event(replace(oidc.inputs, join_window_seconds=1_800)).verdict == "fits-defaults"


def test_a_small_cognito_event_keeps_cognito():
    plan = plan_event(PlanInputs(participants=200, messages_per_second=2, event_duration_hours=2,
                                 average_message_bytes=400))
    assert plan.recommended_attendee_auth == "cognito" and plan.verdict == "fits-defaults"
    assert plan.join_ramp_seconds == 400 / 50  # 400 sign-up requests at 50/s


# 41 x 1.2 = 49.2 fits the 50 a day with headroom; 42 x 1.2 = 50.4 does not
@pytest.mark.parametrize(("participants", "status"), [(41, "ok"), (42, "impossible")])
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


def test_remedies_name_what_is_left_to_change_once():
    """A connection-rate increase says "request an increase" once; a batched stack over the
    outbound quota is told to raise the flush interval, not to batch."""
    from chatstack.planning.planner import PlanInputs, plan_event

    joining = plan_event(PlanInputs(participants=250_000, messages_per_second=1, event_duration_hours=2,
                                    average_message_bytes=400, join_window_seconds=600))
    reason = joining.check("newConnectionsPerSecond").reason
    assert reason.count("request an increase") == 1 and "joinWindowSeconds" in reason
    batched = plan_event(PlanInputs(participants=2_000_000, messages_per_second=50, event_duration_hours=2,
                                    average_message_bytes=400, fan_out_mode="batched",
                                    flush_interval_ms=1000, join_window_seconds=36_000))
    outbound = batched.check("outboundMessagesPerSecond")
    assert outbound.status != "ok"
    assert "flushIntervalMs" in outbound.reason and "fanOutMode batched" not in outbound.reason


def finals_modes(participants: int) -> tuple:
    plan = plan_event(PlanInputs(participants=participants, messages_per_second=50, event_duration_hours=3,
                                 average_message_bytes=400, fan_out_mode="batched", attendee_auth="oidc",
                                 join_window_seconds=1_800, replies_per_second=0))
    return plan, {m.mode: m for m in plan.modes}


def test_the_event_api_halves_the_250k_events_delivery_charge_and_ships_the_same_payload():
    plan, modes = finals_modes(250_000)
    assert [m.mode for m in plan.modes] == ["perMessage", "batched", "events"]
    batched = plan_event(replace(plan.inputs, fan_out_mode="batched"), compare_modes=False)
    events = plan_event(replace(plan.inputs, fan_out_mode="events"), compare_modes=False)
    # one delivery per subscriber per flush either way, 6 metered messages each: $2 vs $1 per million
    assert events.outbound_updates_per_second == batched.outbound_updates_per_second == 250_000
    assert events.metered_outbound_per_second == batched.metered_outbound_per_second == 1_500_000
    updates = cost(batched, "appsyncRealtimeUpdates").per_hour_usd
    operations = cost(events, "appsyncEventOperations").per_hour_usd
    # both lines also count each attendee's connect and subscriptions (events: publishes too)
    assert operations == pytest.approx(updates / 2, rel=0.001)
    # the Event API's data frame carries the batch as JSON text (quotes escaped): a few bytes more
    assert 0 < events.bytes_per_delivered_message - batched.bytes_per_delivered_message < 40
    totals = [modes[mode].cost_per_hour_usd for mode in ("events", "batched", "perMessage")]
    assert totals == sorted(totals)
    assert plan.recommended_fan_out_mode == "events"


def test_every_mode_costs_at_least_the_floor_and_events_comes_closest():
    for participants in (1_000, 250_000, 1_000_000):
        plan, modes = finals_modes(participants)
        floor = cost_floor_per_hour(plan.inputs)
        assert plan.cost_floor_per_hour_usd == pytest.approx(floor)
        # the text alone to everyone, and each subscriber's flush of text (20,000 B: 4 metered
        # messages) at the cheapest rate
        text_gb_per_hour = participants * 50 * 400 * 3600 / 1024**3
        assert floor > text_gb_per_hour * 0.05 + participants * 4 * 3600 / 1e6
        assert all(m.floor_ratio >= 1 for m in modes.values())
        assert modes["events"].floor_ratio == min(m.floor_ratio for m in modes.values())


def test_a_million_participants_need_twelve_apis_or_a_12m_outbound_quota_for_2x_headroom():
    plan, modes = finals_modes(1_000_000)
    events = plan_event(replace(plan.inputs, fan_out_mode="events"), compare_modes=False)
    assert events.outbound_updates_per_second == 1_000_000  # one batch per subscriber per second
    # ... of ~26 KB: 6 metered messages each, 6M/s; twice that per API, or 12 APIs at the 1M default
    assert events.metered_outbound_per_second == 6_000_000
    assert events.outbound_for_scale_out_headroom == 12_000_000
    assert modes["events"].apis_for_scale_out_headroom == modes["batched"].apis_for_scale_out_headroom == 12
    assert modes["perMessage"].apis_for_scale_out_headroom == 100  # 50M/s at 2x over 1M/s per API


@settings(max_examples=30)
@given(st.integers(1, 1_200), st.integers(1, 2_000))
def test_batch_sizes_are_the_built_batches_at_any_size(messages, text_bytes):
    from chatstack.planning.payload import (
        events_frame_bytes,
        measured_batch_frame_bytes,
        measured_events_frame_bytes,
    )

    assert batch_frame_bytes(messages, text_bytes) == measured_batch_frame_bytes(messages, text_bytes)
    assert events_frame_bytes(messages, text_bytes) == measured_events_frame_bytes(messages, text_bytes)
