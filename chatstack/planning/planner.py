"""Capacity and cost plan for one event: pure arithmetic, no Pulumi.

The hard part of a large chat is fan-out: every message delivered to every subscriber is
one AppSync real-time update, metered per 5 kB delivered (billed, and rate-limited per API). `plan_event` turns an
event's sizing (participants, message rate, duration, message size, fan-out mode) into
rates, DynamoDB units, payload sizes, costs and a verdict against `chatstack.planning.quotas`.

Model (stated, so it can be checked; see docs "Sizing an event"):
- One room: every participant holds one connection with three subscriptions (onSendMessage,
  onReply, onRoomEvent; batched: onMessageBatch, onRoomEvent) to the event's room, and receives
  every message and reply, their own included.
- Replies: chatstack:repliesPerSecond, else 10 % of messagesPerSecond. perMessage: each reply is
  one onReply update per subscriber. batched: replies travel in the room's batches (a reply
  adds one to its parent's count on the client), so they add bytes, not updates.
- Bytes delivered are measured from the payloads the system builds, in their real-time frame
  (chatstack.planning.payload), and billed as data transfer out at tiered rates.
- Metering: AWS counts a real-time delivery of B bytes as ceil(B / 5 kB) metered messages
  (quotas.METERED_MESSAGE_BYTES), against the inbound and outbound quotas and, as planned here,
  in the real-time update (events: operation) line. A batch of 26 KB is 6 to each subscriber.
- perMessage: one sendMessage mutation per message, published once (inbound) and delivered
  to every participant (outbound = participants x messages/s).
- batched: messages are stored as in perMessage; a publisher flushes each room every
  flushIntervalMs as deployed (the event source mapping's whole-second batching window; below
  1 s, every stream poll: 4 a second) with publishBatch mutations carrying the items since the last flush,
  split at 200 KB (inbound = outbound per participant = flushes/s that carry messages,
  min(messages/s, 1000/flushIntervalMs), x publishes per flush); each publish reads
  (consistent GetItem, 1 RRU) and updates (1 WRU) the room's FANOUT cursor row.
- Rates are peak rates held for the whole event: costs are an upper bound.
- Each participant loads history once on join: one getMessages Query of a full page (50
  items), eventually consistent (the resolvers' default).
- DynamoDB: each message is one PutItem of ceil(item/1 KB) WRU, plus the same again for the
  bySender GSI (projects ALL). A reply is a transaction of its THREAD row and its parent's
  count (both doubled) with the slow-mode state.
- Moderation on every message (upper bound: slow mode on in every room): one consistent
  BatchGetItem of the room's SETTINGS row (<= 4 KB), the sender's BAN row and slow-mode
  state (3 RRU; absent items are billed too), and the message written in a transaction with
  the slow-mode state (transactional writes cost double on the table; the GSI write is
  ordinary). Every room subscription (onSendMessage or onMessageBatch, onReply,
  onRoomEvent) reads the subscriber's BAN row once (consistent GetItem, 1 RRU) on join.
  Moderation actions themselves (a few per minute) are not counted.
- Joins: if joinWindowSeconds is set, participants/joinWindowSeconds connections/s are
  required; otherwise everyone joins at once, paced by the new-connection quota.
- Joining also needs sign-in. attendeeAuth=cognito: each attendee signs up (SignUp +
  ConfirmSignUp: 2 UserCreation requests) and signs in (InitiateAuth: 1 UserAuthentication
  request; RespondToAuthChallenge has its own 3x quota) within the join deadline
  (joinWindowSeconds, else the event's first 10 %), and refreshes its 60-minute tokens once
  an hour (1 UserAuthentication request); production pools without SES send each attendee
  one verification email through Cognito's built-in sender. attendeeAuth=oidc: the event
  platform signs attendees in and AppSync verifies its tokens: no Cognito call per attendee.
  The join ramp is the slowest of the connection ramp and the auth path at default quotas
  (sign-up and sign-in are separate quotas, so they overlap).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from chatstack.planning import payload as measured
from chatstack.planning import table_design
from chatstack.planning.metering import metered_messages
from chatstack.planning.quotas import (
    DATA_TRANSFER_OUT,
    METERED_MESSAGE_BYTES,
    PRICES,
    QUOTAS,
    Price,
    Quota,
    TieredPrice,
)
from fanout_consumer.batching import DEFAULT_MAX_BATCH_BYTES

FanOutMode = Literal["perMessage", "batched", "events"]
FAN_OUT_MODES: tuple[FanOutMode, ...] = ("perMessage", "batched", "events")
AttendeeAuth = Literal["cognito", "oidc"]
Verdict = Literal["fits-defaults", "needs-quota-increases", "impossible"]

HISTORY_PAGE_SIZE = 50  # getMessages default limit
SUBSCRIPTIONS_PER_PARTICIPANT = 3  # onSendMessage + onReply + onRoomEvent
BATCHED_SUBSCRIPTIONS_PER_PARTICIPANT = 2  # onMessageBatch (messages and replies) + onRoomEvent
# events: one Event API channel per room (/rooms/<roomId>) carries batches and room events alike.
EVENTS_SUBSCRIPTIONS_PER_PARTICIPANT = 1
# events: the consumer's GraphQL calls per publish (publishBatch to pack the items after the
# room's cursor without moving it, then again to move it once the Event API took the batch).
EVENTS_PUBLISHER_MUTATIONS_PER_PUBLISH = 2
# The outbound headroom `chatstack plan` sizes APIs for (issue 27: 1M participants at 2x).
SCALE_OUT_HEADROOM = 2.0
# checkSendAllowed: consistent BatchGetItem of SETTINGS (<= 4 KB), BAN and slow-mode rows.
MODERATION_RRU_PER_MESSAGE = 3
# The slow-mode state row (< 1 KB), written in the message's transaction: 2 WRU.
SLOW_MODE_WRU_PER_MESSAGE = 2
# checkSubscriber: one consistent GetItem of the subscriber's BAN row per room subscription.
RRU_PER_SUBSCRIBE = 1
# Bytes a MESSAGE row adds around its text: attribute names plus pk, sk, type, roomId,
# messageId (ULID), sender, createdAt, replyCount, gsi1pk, gsi1sk, expiresAt (estimate).
ITEM_OVERHEAD_BYTES = 350
# The batched publisher (fanout_consumer) splits a flush into publishes of at most this size.
BATCH_SPLIT_BYTES = DEFAULT_MAX_BATCH_BYTES
# The flush intervals `chatstack plan` compares for a batched stack (CapacityPlan.flush_options).
FLUSH_CHOICES_MS = (250, 1000, 2000, 5000)
WRU_BYTES = 1024
RRU_BYTES = 4096
# On-demand max throughput / provisioned autoscaling maximum: planned peak x headroom, at
# least the floor (paging, threads and moderators' queries are not in the peak estimate).
TABLE_HEADROOM = 2.0
TABLE_UNITS_FLOOR = 100
AUTOSCALING_TARGET_UTILIZATION = 0.7
PROVISIONED_MIN_CAPACITY = 5
# The join path with Cognito attendees (see the module doc).
USER_CREATION_REQUESTS_PER_ATTENDEE = 2  # SignUp + ConfirmSignUp
SIGN_IN_REQUESTS_PER_ATTENDEE = 1  # InitiateAuth (its RespondToAuthChallenge calls have their own quota)
TOKEN_REFRESH_SECONDS = 3600  # ChatUserPool's ID/access token validity: one refresh per attendee-hour
DEFAULT_JOIN_SHARE_OF_EVENT = 0.1  # without joinWindowSeconds, everyone must be in within 10 % of the event
# Without chatstack:repliesPerSecond, thread replies are planned at this share of messagesPerSecond.
DEFAULT_REPLY_SHARE = 0.1
# A quota is "ok" only with this much room above the planned peak (chatstack:quotaHeadroom).
DEFAULT_QUOTA_HEADROOM = 0.2
# Lambda polls each DynamoDB stream shard 4 times a second (AWS Lambda Developer Guide, "Using
# AWS Lambda with Amazon DynamoDB", polling and batching streams; read 2026-12): with a batching
# window of 0 s a shard's records reach the consumer at most every 250 ms.
STREAM_POLLS_PER_SECOND = 4
# Lambda's MaximumBatchingWindowInSeconds: whole seconds, 0-300 (CreateEventSourceMapping).
MAX_BATCHING_WINDOW_SECONDS = 300
# The fan-out consumer (components.batch_fanout): 256 MB, about this long per invocation plus
# this per publish (chatstack estimate, 2026-12: one HTTPS call to AppSync per room publish).
CONSUMER_MEMORY_GB = 0.25
CONSUMER_BASE_SECONDS = 0.05
CONSUMER_SECONDS_PER_PUBLISH = 0.05
# CloudWatch Logs written per AppSync request at field log level ALL/DEBUG/INFO (request and
# resolver entries; chatstack estimate 2026-12, measure with a rehearsal), and per consumer
# invocation (one JSON summary line plus Lambda's START/END/REPORT lines).
APPSYNC_LOG_BYTES_PER_REQUEST = {"NONE": 0, "ERROR": 0, "INFO": 2_000, "DEBUG": 4_000, "ALL": 4_000}
CONSUMER_LOG_BYTES_PER_INVOCATION = 600
# AppSync's default X-Ray sampling rule: the first request each second, then 5 % of the rest.
XRAY_RESERVOIR_PER_SECOND = 1
XRAY_FIXED_RATE = 0.05
GIB = 1024**3


def batching_window_seconds(flush_interval_ms: int) -> int:
    """The event source mapping's MaximumBatchingWindowInSeconds for a flush interval (whole seconds)."""
    return min(MAX_BATCHING_WINDOW_SECONDS, flush_interval_ms // 1000)


def deployed_flush_interval_ms(flush_interval_ms: int) -> int:
    """How often a room is flushed as deployed: the batching window, or the stream poll rate when it is 0."""
    window = batching_window_seconds(flush_interval_ms)
    return window * 1000 if window else 1000 // STREAM_POLLS_PER_SECOND


@dataclass(frozen=True)
class PlanInputs:
    participants: int
    messages_per_second: float
    event_duration_hours: float
    average_message_bytes: int
    fan_out_mode: FanOutMode = "perMessage"
    flush_interval_ms: int = 1000
    join_window_seconds: float | None = None
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST"
    attendee_auth: AttendeeAuth = "cognito"
    # Each attendee's sign-up sends one email through Cognito's built-in sender (no SES).
    built_in_verification_emails: bool = False
    # None: DEFAULT_REPLY_SHARE of messages_per_second.
    replies_per_second: float | None = None
    quota_headroom: float = DEFAULT_QUOTA_HEADROOM
    log_level: str = "ERROR"
    xray_enabled: bool = False

    @property
    def reply_rate(self) -> float:
        if self.replies_per_second is not None:
            return self.replies_per_second
        return self.messages_per_second * DEFAULT_REPLY_SHARE

    @property
    def join_deadline_seconds(self) -> float:
        """By when every attendee must be signed in and connected."""
        if self.join_window_seconds is not None:
            return self.join_window_seconds
        return self.event_duration_hours * 3600 * DEFAULT_JOIN_SHARE_OF_EVENT

    def __post_init__(self):
        if self.participants < 1 or self.messages_per_second <= 0 or self.event_duration_hours <= 0:
            raise ValueError("participants, messages_per_second and event_duration_hours must be positive")
        if self.average_message_bytes < 1 or self.flush_interval_ms < 1:
            raise ValueError("average_message_bytes and flush_interval_ms must be positive")
        if self.fan_out_mode not in FAN_OUT_MODES:
            raise ValueError(f"unknown fan-out mode {self.fan_out_mode!r}")
        if self.attendee_auth not in ("cognito", "oidc"):
            raise ValueError(f"unknown attendee auth {self.attendee_auth!r}")
        if (self.replies_per_second is not None and self.replies_per_second < 0) or self.quota_headroom < 0:
            raise ValueError("replies_per_second and quota_headroom must not be negative")


@dataclass(frozen=True)
class QuotaCheck:
    key: str
    name: str
    unit: str
    required: float
    # required plus the plan's headroom: what the quota must allow (and what to ask for).
    target: float
    default: float
    ceiling: float | None
    adjustable: bool
    status: Literal["ok", "increase", "impossible"]
    reason: str
    service_code: str
    quota_code: str | None
    scope: str
    source: str


@dataclass(frozen=True)
class CostLine:
    key: str
    name: str
    units_per_event: float
    unit: str
    unit_price_usd: float
    per: int
    per_event_usd: float
    per_hour_usd: float


@dataclass(frozen=True)
class TableCapacity:
    billing_mode: str
    max_read_request_units: int | None
    max_write_request_units: int | None
    min_read_capacity: int
    max_read_capacity: int
    min_write_capacity: int
    max_write_capacity: int


@dataclass(frozen=True)
class ModeComparison:
    """One fan-out mode's figures for the same event (CapacityPlan.modes)."""

    mode: str
    # Updates delivered (one per subscriber per publish) and what AWS meters for them (per 5 kB).
    outbound_per_second: float
    metered_outbound_per_second: float
    # The outbound quota's default over the metered peak (x times; below 1 + headroom: an increase).
    outbound_headroom: float
    verdict: str
    bytes_per_delivered_message: float
    delivery_cost_per_hour_usd: float
    cost_per_hour_usd: float
    floor_ratio: float
    apis_for_scale_out_headroom: int


@dataclass(frozen=True)
class FlushOption:
    """The same event at another chatstack:flushIntervalMs (batched and events stacks)."""

    flush_interval_ms: int
    deployed_flush_interval_ms: int
    metered_outbound_per_second: float
    delivery_cost_per_hour_usd: float
    verdict: str


@dataclass(frozen=True)
class CapacityPlan:
    inputs: PlanInputs
    connection_ramp_seconds: float
    peak_join_rate: float
    inbound_messages_per_second: float
    outbound_updates_per_second: float
    requests_per_second: float
    subscription_payload_bytes: int
    # Measured from the payload the system builds (chatstack.planning.payload), real-time frame included.
    bytes_per_delivered_message: float
    data_transfer_out_gb_per_hour: float
    reply_updates_per_second: float
    deployed_flush_interval_ms: int | None
    item_bytes: int
    wru_per_message: int
    rru_per_message: float
    rru_per_history_query: float
    rru_per_join: float
    write_units_per_second: float
    read_units_per_second: float
    write_units_per_event: float
    read_units_per_event: float
    quota_checks: tuple[QuotaCheck, ...]
    costs: tuple[CostLine, ...]
    cost_per_hour_usd: float
    cost_per_event_usd: float
    verdict: Verdict
    table: TableCapacity
    assumptions: tuple[str, ...] = field(default=())
    # Which fan-out mode this event should use, and why (both modes planned side by side).
    recommended_fan_out_mode: FanOutMode | None = None
    recommendation: str = ""
    # How long until every attendee is signed in and connected at default quotas: the slowest
    # of the connection ramp and the auth path.
    join_ramp_seconds: float = 0.0
    # Each step of the join path at default quotas: {"step", "seconds", "quota"}.
    join_path: tuple[dict[str, Any], ...] = field(default=())
    recommended_attendee_auth: AttendeeAuth | None = None
    attendee_auth_recommendation: str = ""
    # Delivery cost per hour (real-time updates or Event API operations, connection-minutes, data
    # transfer) and the floor no mode can go below: the text itself to every subscriber at the
    # data-transfer rate plus one delivery per subscriber per flush at the cheapest AppSync rate.
    delivery_cost_per_hour_usd: float = 0.0
    cost_floor_per_hour_usd: float = 0.0
    # The three fan-out modes planned side by side for this event (compare_modes).
    modes: tuple[ModeComparison, ...] = field(default=())
    # Outbound metered messages/s one API must allow for SCALE_OUT_HEADROOM x the planned peak,
    # and how many APIs (each with its share of the audience) do it at the default quota.
    outbound_for_scale_out_headroom: float = 0.0
    apis_for_scale_out_headroom: int = 1
    # What AWS meters (quotas.METERED_MESSAGE_BYTES per metered message): outbound to every
    # subscriber and inbound publishes, and the largest update's count.
    metered_outbound_per_second: float = 0.0
    metered_inbound_per_second: float = 0.0
    metered_messages_per_update: int = 1
    # batched and events: this event at each of FLUSH_CHOICES_MS.
    flush_options: tuple[FlushOption, ...] = field(default=())

    @property
    def floor_ratio(self) -> float:
        return self.delivery_cost_per_hour_usd / self.cost_floor_per_hour_usd if self.cost_floor_per_hour_usd else 0.0

    @property
    def quota_increases(self) -> tuple[QuotaCheck, ...]:
        return tuple(c for c in self.quota_checks if c.status == "increase")

    @property
    def blocking(self) -> tuple[QuotaCheck, ...]:
        return tuple(c for c in self.quota_checks if c.status == "impossible")

    def check(self, key: str) -> QuotaCheck:
        return next(c for c in self.quota_checks if c.key == key)


def apply_quota_overrides(overrides: Mapping[str, Any], quotas: Mapping[str, Quota] = QUOTAS) -> dict[str, Quota]:
    """`chatstack:quotaOverrides`: a number replaces the default; an object sets default/ceiling/quotaCode."""
    result = dict(quotas)
    for key, override in overrides.items():
        quota = result[key]
        if isinstance(override, Mapping):
            default = float(override.get("default", quota.default))
            ceiling = override.get("ceiling", quota.ceiling)
            code = override.get("quotaCode", quota.quota_code)
        else:
            default, ceiling, code = float(override), quota.ceiling, quota.quota_code
        if quota.adjustable and ceiling is not None:
            ceiling = max(float(ceiling), default)
        result[key] = replace(quota, default=default, ceiling=ceiling, quota_code=code,
                              source=f"{quota.source}; overridden by chatstack:quotaOverrides")
    return result


def apply_price_overrides(overrides: Mapping[str, float], prices: Mapping[str, Price] = PRICES) -> dict[str, Price]:
    result = dict(prices)
    for key, usd in overrides.items():
        result[key] = replace(result[key], usd=float(usd),
                              source=f"{result[key].source}; overridden by chatstack:priceOverrides")
    return result


def _check(quota: Quota, required: float, headroom: float = DEFAULT_QUOTA_HEADROOM) -> QuotaCheck:
    """ok only with `headroom` to spare: a quota filled to 100 % at the planned peak is not ok."""
    target = required * (1 + headroom)
    room = f"{required:,.0f} {quota.unit} + {headroom:.0%} headroom = {target:,.0f}"
    if target <= quota.default:
        status, reason = "ok", "within the default, with headroom"
    elif not quota.adjustable:
        status = "impossible"
        reason = f"{room} exceeds the fixed limit of {quota.default:,.0f} {quota.unit}: {quota.remedy}"
    elif quota.ceiling is not None and target > quota.ceiling:
        status = "impossible"
        reason = (f"needs {room}, beyond the {quota.ceiling:,.0f} we plan on an increase "
                  f"giving one API: {quota.remedy}")
    else:
        status, reason = "increase", (f"needs {room}, above the default {quota.default:,.0f}; request an increase "
                                      f"or {quota.remedy}")
    return QuotaCheck(
        key=quota.key, name=quota.name, unit=quota.unit, required=required, target=target, default=quota.default,
        ceiling=quota.ceiling, adjustable=quota.adjustable, status=status, reason=reason,
        service_code=quota.service_code, quota_code=quota.quota_code, scope=quota.scope, source=quota.source,
    )


def _cost(key: str, units: float, hours: float, prices: Mapping[str, Price]) -> CostLine:
    price = prices[key]
    per_event = units * price.usd / price.per
    return CostLine(key=key, name=price.name, units_per_event=units, unit=price.unit, unit_price_usd=price.usd,
                    per=price.per, per_event_usd=per_event, per_hour_usd=per_event / hours)


def _tiered_cost(key: str, units: float, hours: float, price: TieredPrice) -> CostLine:
    """Tiers are per account and month; this event is planned as if it started the month's first tier."""
    usd, lower = 0.0, 0.0
    for upper, rate in price.tiers:
        portion = max(0.0, min(units, upper if upper is not None else units) - lower)
        usd += portion * rate
        if upper is None or units <= upper:
            break
        lower = upper
    average = usd / units if units else price.tiers[0][1]
    return CostLine(key=key, name=price.name, units_per_event=units, unit=price.unit, unit_price_usd=average,
                    per=1, per_event_usd=usd, per_hour_usd=usd / hours)


def plan_event(
    inputs: PlanInputs,
    quotas: Mapping[str, Quota] = QUOTAS,
    prices: Mapping[str, Price] = PRICES,
    *,
    compare_modes: bool = True,
) -> CapacityPlan:
    """The plan for one event. Deterministic and pure."""
    n = inputs.participants
    mps = inputs.messages_per_second
    rps = inputs.reply_rate
    seconds = inputs.event_duration_hours * 3600
    headroom = inputs.quota_headroom

    # Connections: everyone must be connected by the join deadline (joinWindowSeconds, else a
    # share of the event), so a rate is always required.
    connection_key = realtime_quota_key(inputs.fan_out_mode, "newConnectionsPerSecond")
    connection_quota = quotas[connection_key].default
    ramp_seconds = n / connection_quota
    required_connection_rate = n / inputs.join_deadline_seconds
    if inputs.join_window_seconds is not None:
        peak_join_rate = required_connection_rate
    else:
        # Without a window people may also arrive all at once, paced by the quota.
        peak_join_rate = max(required_connection_rate, min(float(n), connection_quota))

    # Fan-out: what each subscriber receives, measured from the payloads the system builds.
    events = inputs.fan_out_mode == "events"
    flush_ms: int | None = None
    consumer_invocations_per_second = 0.0
    if inputs.fan_out_mode == "perMessage":
        # onSendMessage and onReply: one publish (inbound) and one update per subscriber each.
        frame = measured.per_message_frame_bytes(inputs.average_message_bytes)
        publishes_per_second = mps + rps
        outbound = n * publishes_per_second
        reply_updates = n * rps
        bytes_out_per_second = outbound * frame
        payload = frame
        metered_per_update = metered_messages(frame)
        metered_inbound = publishes_per_second * metered_per_update
        publisher_mutations_per_second = 0.0
        subscriptions = SUBSCRIPTIONS_PER_PARTICIPANT
    else:
        flush_ms = deployed_flush_interval_ms(inputs.flush_interval_ms)
        flushes_per_second = 1000 / flush_ms
        batched_items = mps + rps  # replies travel in the room's batches
        items_per_flush = math.ceil(batched_items / flushes_per_second)
        # The publisher splits a flush into publishes of at most BATCH_SPLIT_BYTES: the most
        # items a measured batch holds within it (bisection; a batch grows with every item).
        measure = measured.events_frame_bytes if events else measured.batch_frame_bytes

        def frame(items: int) -> int:
            return measure(items, inputs.average_message_bytes)

        low, high = 1, max(1, BATCH_SPLIT_BYTES // max(1, inputs.average_message_bytes))
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if frame(middle) <= BATCH_SPLIT_BYTES else (low, middle - 1)
        per_publish = low
        publishes_per_flush = math.ceil(items_per_flush / per_publish)
        largest = min(items_per_flush, per_publish)
        payload = frame(largest)
        metered_per_update = metered_messages(payload)
        full_publishes, rest = divmod(items_per_flush, per_publish)
        metered_per_flush = full_publishes * metered_per_update + (metered_messages(frame(rest)) if rest else 0)
        # bytes an item adds (averaged over the largest publish) and a publish's own bytes
        per_item = (payload - frame(1)) / (largest - 1) if largest > 1 else frame(2) - frame(1)
        base = frame(1) - per_item
        flushes_with_items = min(batched_items, flushes_per_second)
        publishes_per_second = flushes_with_items * publishes_per_flush
        publisher_mutations_per_second = publishes_per_second * (
            EVENTS_PUBLISHER_MUTATIONS_PER_PUBLISH if events else 1)
        consumer_invocations_per_second = flushes_with_items
        reply_updates = 0.0
        outbound = n * publishes_per_second
        metered_inbound = flushes_with_items * metered_per_flush
        bytes_out_per_second = n * (batched_items * per_item + publishes_per_second * base)
        subscriptions = EVENTS_SUBSCRIPTIONS_PER_PARTICIPANT if events else BATCHED_SUBSCRIPTIONS_PER_PARTICIPANT
    inbound = publishes_per_second
    metered_outbound = n * metered_inbound  # every subscriber receives every publish
    bytes_per_delivered = bytes_out_per_second / (n * (mps + rps))

    # DynamoDB.
    item_bytes = inputs.average_message_bytes + ITEM_OVERHEAD_BYTES
    wru_per_put = math.ceil(item_bytes / WRU_BYTES)
    # The table write is transactional (slow mode), so it costs double; every GSI projects ALL.
    wru_per_message = (2 * wru_per_put + wru_per_put * len(table_design.GLOBAL_SECONDARY_INDEXES)
                       + SLOW_MODE_WRU_PER_MESSAGE)
    # A reply: THREAD row and the parent's reply count in one transaction (both doubled), the
    # slow-mode state; THREAD rows are in no index.
    wru_per_reply = 2 * wru_per_put + 2 * wru_per_put + SLOW_MODE_WRU_PER_MESSAGE
    rru_per_message = MODERATION_RRU_PER_MESSAGE
    rru_per_history_query = math.ceil(HISTORY_PAGE_SIZE * item_bytes / RRU_BYTES) * 0.5  # eventually consistent
    rru_per_join = rru_per_history_query + subscriptions * RRU_PER_SUBSCRIBE
    cursor_wru_per_second = publisher_mutations_per_second  # UpdateItem of the FANOUT row (< 1 KB)
    cursor_rru_per_second = publisher_mutations_per_second  # consistent GetItem of it (< 4 KB)
    write_units_per_second = mps * wru_per_message + rps * wru_per_reply + cursor_wru_per_second
    steady_reads = (mps + rps) * rru_per_message + cursor_rru_per_second
    read_units_per_second = peak_join_rate * rru_per_join + steady_reads
    write_units_per_event = write_units_per_second * seconds
    read_units_per_event = n * rru_per_join + steady_reads * seconds

    # AppSync requests: every mutation and query (the history load is one query per participant).
    requests_per_second = mps + rps + publisher_mutations_per_second + peak_join_rate
    requests_per_event = (mps + rps + publisher_mutations_per_second) * seconds + n

    auth_checks, join_path = _join_path(inputs, quotas, ramp_seconds)
    if inputs.fan_out_mode != "perMessage":  # already batched: what is left to turn is the flush and the size
        for key in ("inboundMessagesPerSecond", "outboundMessagesPerSecond", "eventsInboundMessagesPerSecond",
                    "eventsOutboundMessagesPerSecond"):
            quotas = {**quotas, key: replace(quotas[key], remedy=(
                "split the audience over more APIs, or send fewer bytes: each participant's metered messages "
                "are the bytes of each flush per 5 kB, rounded up (a longer chatstack:flushIntervalMs saves only "
                "the rounding)"))}
    # events: attendees connect to, and are delivered by, the Event API (its own quotas);
    # the GraphQL API then carries requests only.
    realtime = {key: realtime_quota_key(inputs.fan_out_mode, key)
                for key in ("newConnectionsPerSecond", "inboundMessagesPerSecond", "outboundMessagesPerSecond",
                            "subscriptionsPerConnection", "subscriptionPayloadBytes")}
    checks = (
        _check(quotas[realtime["newConnectionsPerSecond"]], required_connection_rate, headroom),
        *auth_checks,
        _check(quotas[realtime["inboundMessagesPerSecond"]], metered_inbound, headroom),
        _check(quotas[realtime["outboundMessagesPerSecond"]], metered_outbound, headroom),
        _check(quotas["requestTokensPerSecond"], requests_per_second, headroom),
        _check(quotas[realtime["subscriptionsPerConnection"]], subscriptions, headroom),
        _check(quotas[realtime["subscriptionPayloadBytes"]], payload, headroom),
    )
    outbound_quota = quotas[realtime["outboundMessagesPerSecond"]].default
    apis_for_scale_out = max(1, math.ceil(metered_outbound * SCALE_OUT_HEADROOM / outbound_quota))
    if any(c.status == "impossible" for c in checks):
        verdict: Verdict = "impossible"
    elif any(c.status == "increase" for c in checks):
        verdict = "needs-quota-increases"
    else:
        verdict = "fits-defaults"

    hours = inputs.event_duration_hours
    # OIDC attendees are not Cognito users (staff are few: not counted).
    billable_mau = max(0.0, n - prices["cognitoFreeMau"].usd) if inputs.attendee_auth == "cognito" else 0.0
    transfer_gb = bytes_out_per_second * seconds / GIB
    average_requests_per_second = requests_per_event / seconds
    log_bytes = (requests_per_event * APPSYNC_LOG_BYTES_PER_REQUEST.get(inputs.log_level, 0)
                 + consumer_invocations_per_second * seconds * CONSUMER_LOG_BYTES_PER_INVOCATION)
    # Each attendee's connect and subscriptions are operations (events) or real-time updates
    # (GraphQL: "WebSockets operations such as client connections"), as deliveries are.
    joining_operations = n * (1 + subscriptions)
    if events:
        # Event API operations: each delivery and each publish, metered per 5 kB.
        realtime_costs = [
            _cost("appsyncEventOperations", (metered_outbound + metered_inbound) * seconds + joining_operations,
                  hours, prices),
            _cost("appsyncEventConnectionMinutes", n * seconds / 60, hours, prices),
        ]
    else:
        realtime_costs = [
            _cost("appsyncRealtimeUpdates", metered_outbound * seconds + joining_operations, hours, prices),
            _cost("appsyncConnectionMinutes", n * seconds / 60, hours, prices),
        ]
    realtime_costs.append(_tiered_cost("dataTransferOut", transfer_gb, hours, DATA_TRANSFER_OUT))
    floor = cost_floor_per_hour(inputs, prices)
    costs = [
        _cost("appsyncRequests", requests_per_event, hours, prices),
        *realtime_costs,
        _cost("dynamodbWriteRequestUnits", write_units_per_event, hours, prices),
        _cost("dynamodbReadRequestUnits", read_units_per_event, hours, prices),
        _cost("cognitoEssentialsMau", billable_mau, hours, prices),
        _cost("cloudwatchLogsIngestion", log_bytes / GIB, hours, prices),
    ]
    if inputs.fan_out_mode != "perMessage":
        invocations = consumer_invocations_per_second * seconds
        per_invocation = CONSUMER_BASE_SECONDS + CONSUMER_SECONDS_PER_PUBLISH * (
            publishes_per_second / consumer_invocations_per_second if consumer_invocations_per_second else 0)
        costs += [
            _cost("lambdaRequests", invocations, hours, prices),
            _cost("lambdaArmGbSeconds", invocations * per_invocation * CONSUMER_MEMORY_GB, hours, prices),
        ]
    if inputs.xray_enabled:
        traces_per_second = (min(average_requests_per_second, XRAY_RESERVOIR_PER_SECOND)
                             + XRAY_FIXED_RATE * max(0.0, average_requests_per_second - XRAY_RESERVOIR_PER_SECOND))
        costs.append(_cost("xrayTracesRecorded", traces_per_second * seconds, hours, prices))

    table = _table_capacity(inputs.billing_mode, write_units_per_second, read_units_per_second)
    assumptions = (
        "one room: every participant subscribes to it and receives every message, their own included",
        "peak rates held for the whole event (costs are an upper bound)",
        f"thread replies: {rps:,.2f}/s ("
        + ("chatstack:repliesPerSecond" if inputs.replies_per_second is not None else
           f"{DEFAULT_REPLY_SHARE:.0%} of messagesPerSecond; set chatstack:repliesPerSecond") + "), "
        + ("delivered inside the room's batches" if inputs.fan_out_mode != "perMessage" else
           "each delivered to every subscriber (onReply)"),
        f"history: one {HISTORY_PAGE_SIZE}-item eventually consistent query per participant on join",
        "moderation checks on every message and reply with slow mode on (upper bound): 3 RRU read, the write and "
        f"slow-mode state in one transaction; a ban check per room subscription ({subscriptions} per join)",
        f"stored item = message + {ITEM_OVERHEAD_BYTES} B of keys and attributes; bytes delivered per message "
        f"({bytes_per_delivered:,.0f} B) measured from the real-time frame of the payload the system builds "
        "(chatstack.planning.payload)",
        "data transfer out at the tiered internet rate, as if this event started the account's month (other "
        "traffic that month lowers the rate; the 100 GB monthly free allowance is not counted)",
        "Cognito MAU: every participant is billed once per month (Essentials plan); the free tier is per "
        "account and shared with other events that month; per-hour figures spread it over the event"
        if inputs.attendee_auth == "cognito" else
        "attendees sign in at the event platform (OIDC): no Cognito MAU or request per attendee; the platform's "
        "issuer must serve the join rate itself",
        f"join deadline {inputs.join_deadline_seconds:,.0f} s ("
        + ("chatstack:joinWindowSeconds" if inputs.join_window_seconds is not None else
           f"{DEFAULT_JOIN_SHARE_OF_EVENT:.0%} of the event; set chatstack:joinWindowSeconds") + "); Cognito and "
        "request-token quotas are per account and region: other stacks in the account share them "
        "(chatstack plan --all)",
        f"quota headroom {headroom:.0%}: a quota is ok only if the planned peak plus headroom fits",
        *((f"flushIntervalMs {inputs.flush_interval_ms} deploys as a "
           f"{batching_window_seconds(inputs.flush_interval_ms)} s batching window: flushes every {flush_ms} ms"
           + (" (Lambda polls the stream 4 times a second)" if flush_ms < 1000 else ""),)
          if flush_ms is not None else ()),
        f"metered per {METERED_MESSAGE_BYTES:,} B (AWS's 5 kB): the largest update ({payload:,} B) counts "
        f"{metered_per_update} against the outbound quota and in the "
        + ("Event API operations" if events else "real-time updates") + " line; AWS defines the unit for its "
        "metrics and quotas, billing in the same unit is our reading of the pricing page (an upper bound if "
        "AWS bills per delivery)",
        "DynamoDB costs at on-demand prices; storage, PITR and streams not included; CloudWatch Logs at "
        f"log level {inputs.log_level} (estimated bytes per request)",
    )
    plan = CapacityPlan(
        inputs=inputs,
        connection_ramp_seconds=ramp_seconds,
        peak_join_rate=peak_join_rate,
        inbound_messages_per_second=inbound,
        outbound_updates_per_second=outbound,
        requests_per_second=requests_per_second,
        subscription_payload_bytes=payload,
        bytes_per_delivered_message=bytes_per_delivered,
        data_transfer_out_gb_per_hour=bytes_out_per_second * 3600 / GIB,
        reply_updates_per_second=reply_updates,
        deployed_flush_interval_ms=flush_ms,
        item_bytes=item_bytes,
        wru_per_message=wru_per_message,
        rru_per_message=rru_per_message,
        rru_per_history_query=rru_per_history_query,
        rru_per_join=rru_per_join,
        write_units_per_second=write_units_per_second,
        read_units_per_second=read_units_per_second,
        write_units_per_event=write_units_per_event,
        read_units_per_event=read_units_per_event,
        quota_checks=checks,
        costs=tuple(costs),
        cost_per_hour_usd=sum(c.per_hour_usd for c in costs),
        cost_per_event_usd=sum(c.per_event_usd for c in costs),
        verdict=verdict,
        table=table,
        assumptions=assumptions,
        join_ramp_seconds=max(step["seconds"] for step in join_path),
        join_path=join_path,
        delivery_cost_per_hour_usd=sum(c.per_hour_usd for c in realtime_costs),
        cost_floor_per_hour_usd=floor,
        outbound_for_scale_out_headroom=metered_outbound * SCALE_OUT_HEADROOM,
        apis_for_scale_out_headroom=apis_for_scale_out,
        metered_outbound_per_second=metered_outbound,
        metered_inbound_per_second=metered_inbound,
        metered_messages_per_update=metered_per_update,
    )
    plan = replace(plan, **dict(zip(("recommended_attendee_auth", "attendee_auth_recommendation"),
                                    recommend_attendee_auth(plan), strict=True)))
    if not compare_modes:
        return plan
    others = {mode: plan if mode == inputs.fan_out_mode else
              plan_event(replace(inputs, fan_out_mode=mode), quotas, prices, compare_modes=False)
              for mode in FAN_OUT_MODES}
    modes = tuple(_compare(others[mode], quotas, realtime_quota_key(mode)) for mode in FAN_OUT_MODES)
    mode, reason = recommend_fan_out(others)
    return replace(plan, recommended_fan_out_mode=mode, recommendation=reason, modes=modes,
                   flush_options=flush_options(plan, quotas, prices))


def flush_options(plan: CapacityPlan, quotas: Mapping[str, Quota] = QUOTAS,
                  prices: Mapping[str, Price] = PRICES) -> tuple[FlushOption, ...]:
    """The event at each of FLUSH_CHOICES_MS (batched and events): once deliveries are metered per
    5 kB, a longer flush saves only each flush's rounding when many bytes flow, and a lot when few do."""
    if plan.inputs.fan_out_mode == "perMessage":
        return ()
    options = []
    for flush_interval_ms in FLUSH_CHOICES_MS:
        other = plan if flush_interval_ms == plan.inputs.flush_interval_ms else plan_event(
            replace(plan.inputs, flush_interval_ms=flush_interval_ms), quotas, prices, compare_modes=False)
        options.append(FlushOption(
            flush_interval_ms=flush_interval_ms, deployed_flush_interval_ms=other.deployed_flush_interval_ms or 0,
            metered_outbound_per_second=other.metered_outbound_per_second,
            delivery_cost_per_hour_usd=other.delivery_cost_per_hour_usd, verdict=other.verdict))
    return tuple(options)


def realtime_quota_key(mode: str, key: str = "outboundMessagesPerSecond") -> str:
    """The real-time quota a mode's deliveries count against: the Event API's for events."""
    return f"events{key[0].upper()}{key[1:]}" if mode == "events" else key


def _compare(plan: CapacityPlan, quotas: Mapping[str, Quota], outbound_key: str) -> ModeComparison:
    return ModeComparison(
        mode=plan.inputs.fan_out_mode,
        outbound_per_second=plan.outbound_updates_per_second,
        metered_outbound_per_second=plan.metered_outbound_per_second,
        outbound_headroom=quotas[outbound_key].default / plan.metered_outbound_per_second
        if plan.metered_outbound_per_second else math.inf,
        verdict=plan.verdict,
        bytes_per_delivered_message=plan.bytes_per_delivered_message,
        delivery_cost_per_hour_usd=plan.delivery_cost_per_hour_usd,
        cost_per_hour_usd=plan.cost_per_hour_usd,
        floor_ratio=plan.floor_ratio,
        apis_for_scale_out_headroom=plan.apis_for_scale_out_headroom,
    )


def cost_floor_per_hour(inputs: PlanInputs, prices: Mapping[str, Price] = PRICES) -> float:
    """What no fan-out mode can go below (issue 27): the text of every message and reply to every
    subscriber at the data-transfer rate, and one delivery per subscriber per flush at the
    cheapest AppSync rate (an Event API operation), metered as the text of a flush alone would
    be (per 5 kB), at the planned flush interval."""
    n, items = inputs.participants, inputs.messages_per_second + inputs.reply_rate
    seconds = inputs.event_duration_hours * 3600
    flushes_per_second = 1000 / deployed_flush_interval_ms(inputs.flush_interval_ms)
    flushes = min(items, flushes_per_second)
    metered_per_flush = metered_messages(math.ceil(items / flushes_per_second) * inputs.average_message_bytes)
    text_gb = n * items * inputs.average_message_bytes * seconds / GIB
    cheapest = min(prices["appsyncEventOperations"].usd / prices["appsyncEventOperations"].per,
                   prices["appsyncRealtimeUpdates"].usd / prices["appsyncRealtimeUpdates"].per)
    transfer = _tiered_cost("dataTransferOut", text_gb, inputs.event_duration_hours, DATA_TRANSFER_OUT)
    return transfer.per_hour_usd + n * flushes * metered_per_flush * 3600 * cheapest


def _join_path(
    inputs: PlanInputs, quotas: Mapping[str, Quota], connection_ramp_seconds: float
) -> tuple[tuple[QuotaCheck, ...], tuple[dict[str, Any], ...]]:
    """The auth path's quota checks (none for OIDC attendees) and each join step's duration at default quotas."""
    n = inputs.participants
    connections = quotas[realtime_quota_key(inputs.fan_out_mode, "newConnectionsPerSecond")]
    steps: list[dict[str, Any]] = [{"step": "connect", "seconds": connection_ramp_seconds, "quota": connections.key}]
    if inputs.attendee_auth == "oidc":
        return (), tuple(steps)
    deadline = inputs.join_deadline_seconds
    creation, authentication = quotas["cognitoUserCreationPerSecond"], quotas["cognitoUserAuthenticationPerSecond"]
    sign_up_requests = n * USER_CREATION_REQUESTS_PER_ATTENDEE
    sign_in_requests = n * SIGN_IN_REQUESTS_PER_ATTENDEE
    refreshes_per_second = n / TOKEN_REFRESH_SECONDS
    steps += [
        {"step": "sign up (SignUp + ConfirmSignUp)", "seconds": sign_up_requests / creation.default,
         "quota": creation.key},
        {"step": "sign in (InitiateAuth)",
         "seconds": sign_in_requests / authentication.default,
         "quota": authentication.key},
    ]
    checks = [
        _check(creation, sign_up_requests / deadline, inputs.quota_headroom),
        _check(authentication, sign_in_requests / deadline + refreshes_per_second, inputs.quota_headroom),
    ]
    if inputs.built_in_verification_emails:
        checks.append(_check(quotas["cognitoDefaultEmailsPerDay"], float(n), inputs.quota_headroom))
    return tuple(checks), tuple(steps)


_COGNITO_JOIN_QUOTAS = ("cognitoUserCreationPerSecond", "cognitoUserAuthenticationPerSecond",
                        "cognitoDefaultEmailsPerDay")


def recommend_attendee_auth(plan: CapacityPlan) -> tuple[AttendeeAuth, str]:
    """oidc when Cognito sign-up/sign-in cannot onboard the audience by the join deadline at default quotas."""
    inputs = plan.inputs
    deadline = f"{inputs.join_deadline_seconds:,.0f} s"
    if inputs.attendee_auth == "oidc":
        return "oidc", (f"attendees sign in at the event platform: the join path is the connection ramp alone "
                        f"({plan.join_ramp_seconds:,.0f} s)")
    short = [c for c in plan.quota_checks if c.key in _COGNITO_JOIN_QUOTAS and c.status != "ok"]
    if not short:
        return "cognito", f"Cognito onboards {inputs.participants:,} attendees within {deadline} at default quotas"
    needs = "; ".join(f"{c.name} needs {c.required:,.0f} {c.unit} (default {c.default:,.0f})" for c in short)
    return "oidc", (f"Cognito cannot onboard {inputs.participants:,} attendees within {deadline} at default quotas "
                    f"({needs}); set chatstack:attendeeAuth oidc so the event platform signs them in")


# Per-message delivery has the lowest latency and no moving parts; prefer it unless it needs
# quota increases or costs this much more than batching (relatively and in dollars).
BATCHING_WORTHWHILE_COST_RATIO = 1.2
BATCHING_WORTHWHILE_SAVING_USD_PER_HOUR = 10.0
_VERDICT_RANK = {"fits-defaults": 0, "needs-quota-increases": 1, "impossible": 2}


def recommend_fan_out(plans: Mapping[str, CapacityPlan]) -> tuple[FanOutMode, str]:
    """Pick a mode from the three planned for the same event, saying why. Per-message is kept
    while it fits default quotas at a similar cost (lowest latency, fewest moving parts);
    otherwise the batched mode (GraphQL or Event API) with the better verdict, then the lower cost."""
    per = plans["perMessage"]
    figures = "; ".join(f"{mode}: {p.metered_outbound_per_second:,.0f} metered messages/s, "
                        f"${p.cost_per_hour_usd:,.0f}/h, {p.verdict}" for mode, p in plans.items())
    mode, best = min(((m, plans[m]) for m in ("batched", "events")),
                     key=lambda pair: (_VERDICT_RANK[pair[1].verdict], pair[1].cost_per_hour_usd))
    saving = per.cost_per_hour_usd - best.cost_per_hour_usd
    similar_cost = (per.cost_per_hour_usd <= BATCHING_WORTHWHILE_COST_RATIO * best.cost_per_hour_usd
                    or saving < BATCHING_WORTHWHILE_SAVING_USD_PER_HOUR)
    how = "batching through the Event API" if mode == "events" else "batching"
    if per.verdict == "fits-defaults" and similar_cost:
        return "perMessage", f"per-message fits default quotas at a similar cost, with the lowest latency ({figures})"
    if _VERDICT_RANK[best.verdict] < _VERDICT_RANK[per.verdict]:
        return mode, f"{how} needs fewer quota increases ({figures})"
    if _VERDICT_RANK[best.verdict] == _VERDICT_RANK[per.verdict] and not similar_cost:
        return mode, f"{how} costs less ({figures})"
    return "perMessage", f"batching does not help this event ({figures})"


def _table_capacity(billing_mode: str, write_units: float, read_units: float) -> TableCapacity:
    max_write = max(TABLE_UNITS_FLOOR, math.ceil(write_units * TABLE_HEADROOM))
    max_read = max(TABLE_UNITS_FLOOR, math.ceil(read_units * TABLE_HEADROOM))
    # Provisioned: writes are steady, so the floor keeps them at the target utilisation;
    # reads peak while people join, so they start low and autoscale (slowly: minutes) to max.
    min_write = max(PROVISIONED_MIN_CAPACITY, math.ceil(write_units / AUTOSCALING_TARGET_UTILIZATION))
    on_demand = billing_mode == "PAY_PER_REQUEST"
    return TableCapacity(
        billing_mode=billing_mode,
        max_read_request_units=max_read if on_demand else None,
        max_write_request_units=max_write if on_demand else None,
        min_read_capacity=PROVISIONED_MIN_CAPACITY,
        max_read_capacity=max(PROVISIONED_MIN_CAPACITY, max_read),
        min_write_capacity=min_write,
        max_write_capacity=max(min_write, max_write),
    )


def inputs_from_config(config: Any) -> PlanInputs:
    """PlanInputs from a `chatstack.config.EventChatConfig`."""
    return PlanInputs(
        participants=config.participants,
        messages_per_second=config.messages_per_second,
        event_duration_hours=config.event_duration_hours,
        average_message_bytes=config.average_message_bytes,
        fan_out_mode=config.fan_out_mode,
        flush_interval_ms=config.flush_interval_ms,
        join_window_seconds=config.join_window_seconds,
        billing_mode=config.billing_mode,
        attendee_auth=config.attendee_auth,
        # Development pools confirm their few test users by script (AdminConfirmSignUp), not by email.
        built_in_verification_emails=(config.attendee_auth == "cognito" and config.production
                                      and config.ses_email_identity_arn is None),
        replies_per_second=config.replies_per_second,
        quota_headroom=config.quota_headroom,
        log_level=config.log_level,
        xray_enabled=config.xray_enabled,
    )


def plan_for_config(config: Any) -> CapacityPlan:
    """The plan for a validated stack config, with its quota and price overrides applied."""
    return plan_event(
        inputs_from_config(config),
        quotas=apply_quota_overrides(config.quota_overrides),
        prices=apply_price_overrides(config.price_overrides),
    )


def deployment_problems(plan: CapacityPlan, request_quota_increases: bool) -> list[str]:
    """Why a stack with this plan must not deploy (empty if it may)."""
    problems = [f"{c.name}: {c.reason}" for c in plan.blocking]
    if request_quota_increases:
        for c in plan.quota_increases:
            if not c.quota_code:
                problems.append(
                    f"{c.name}: needs {c.target:,.0f} {c.unit} (default {c.default:,.0f}) but no Service Quotas "
                    f"code is known for it; request it through AWS Support and set "
                    f"chatstack:quotaOverrides.{c.key}.default to the granted value, or set "
                    f"chatstack:quotaOverrides.{c.key}.quotaCode"
                )
    return problems
