"""What a rehearsal counts, and the summary made from every worker's counts. Pure: no I/O.

Each worker process keeps one `WorkerTally`; each subscription in it one `SubscriptionLedger`.
A message is identified by `sender:seq`; it was *sent* if its `sendMessage` mutation succeeded.
The *audience* of a room is the set of subscriptions acknowledged (`start_ack`) before the
send phase opened; only they are owed messages, and only their deliveries are counted:

- expected = Σ over sent messages of the audience of the message's room
- delivered = first deliveries of sent messages to audience subscriptions
- lost = expected − delivered (an audience subscription that dropped keeps owing its messages)
- duplicated = a subscription receiving a message again; outOfOrder = receiving a sender's
  message after a later one of the same sender (each sender sends its messages in sequence)
- unconfirmed = deliveries of messages whose mutation did not report success (timeouts)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chatstack.planning.metering import metered_messages


def message_key(sender: str, seq: int) -> str:
    return f"{sender}:{seq}"


@dataclass
class SubscriptionLedger:
    """One subscription's view: which messages it got, and each sender's latest sequence."""

    room: str
    audience: bool
    seen: set[str] = field(default_factory=set)
    latest_seq: dict[str, int] = field(default_factory=dict)


@dataclass
class WorkerTally:
    audience_by_room: Counter = field(default_factory=Counter)
    late: int = 0  # subscriptions acknowledged after the send phase opened: owed nothing
    subscribed: int = 0
    failed: int = 0  # users that never got a subscription (auth, connect or start refused)
    disconnected: int = 0  # subscriptions whose connection closed or went silent mid-run
    first_connect_at: float | None = None
    last_subscribed_at: float | None = None
    sent: dict[str, str] = field(default_factory=dict)  # message key -> room
    sent_by_room: Counter = field(default_factory=Counter)
    send_failed: int = 0
    first_send_at: float | None = None
    last_send_at: float | None = None
    receivers: Counter = field(default_factory=Counter)  # message key -> audience subscriptions that got it
    delivered: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    wrong_room: int = 0
    updates: int = 0  # data frames received by audience subscriptions (a batch is one update)
    update_bytes: int = 0  # their size (compact JSON, as sent): bytes per delivered message
    metered_updates: int = 0  # what AWS would meter for them (per 5 kB: the quota and the bill)
    latency_ms: Counter = field(default_factory=Counter)  # whole milliseconds -> deliveries
    errors: Counter = field(default_factory=Counter)
    retried: int = 0  # connect/subscribe attempts that failed and were retried (not losses)
    retries: Counter = field(default_factory=Counter)  # their error types

    # ---- recording (worker side) ----------------------------------------------------------

    def connecting(self, at: float) -> None:
        if self.first_connect_at is None or at < self.first_connect_at:
            self.first_connect_at = at

    def subscription(self, room: str, at: float, gate_open: bool) -> SubscriptionLedger:
        self.subscribed += 1
        self.last_subscribed_at = max(at, self.last_subscribed_at or at)
        if gate_open:
            self.late += 1
        else:
            self.audience_by_room[room] += 1
        return SubscriptionLedger(room=room, audience=not gate_open)

    def failure(self, error_type: str) -> None:
        self.errors[error_type] += 1

    def retry(self, error_type: str) -> None:
        self.retried += 1
        self.retries[error_type] += 1

    def sent_ok(self, key: str, room: str, at: float) -> None:
        self.sent[key] = room
        self.sent_by_room[room] += 1
        self.first_send_at = min(at, self.first_send_at or at)
        self.last_send_at = max(at, self.last_send_at or at)

    def update(self, ledger: SubscriptionLedger, frame_bytes: int = 0) -> None:
        if ledger.audience:
            self.updates += 1
            self.update_bytes += frame_bytes
            self.metered_updates += metered_messages(frame_bytes)

    def delivery(self, ledger: SubscriptionLedger, sender: str, seq: int, room: str, latency_ms: float) -> bool:
        """Record one message arriving on one subscription; True if it is a first delivery
        to an audience subscription (what the latency figures are made of)."""
        if not ledger.audience:
            return False
        if room != ledger.room:
            self.wrong_room += 1
            return False
        key = message_key(sender, seq)
        if key in ledger.seen:
            self.duplicated += 1
            return False
        ledger.seen.add(key)
        if seq < ledger.latest_seq.get(sender, -1):
            self.out_of_order += 1
        else:
            ledger.latest_seq[sender] = seq
        self.receivers[key] += 1
        self.delivered += 1
        self.latency_ms[max(0, int(latency_ms))] += 1
        return True

    # ---- reporting ------------------------------------------------------------------------

    def progress(self) -> dict[str, Any]:
        """The small, frequent report: enough for the conductor to open the gate and to see
        when deliveries have drained."""
        return {
            "subscribed": self.subscribed,
            "failed": self.failed,
            "audience": dict(self.audience_by_room),
            "sentByRoom": dict(self.sent_by_room),
            "delivered": self.delivered,
        }

    def final(self) -> dict[str, Any]:
        """Everything, once, at the end (msgpack-able: string keys only)."""
        return {
            "audience": dict(self.audience_by_room),
            "late": self.late,
            "subscribed": self.subscribed,
            "failed": self.failed,
            "disconnected": self.disconnected,
            "firstConnectAt": self.first_connect_at,
            "lastSubscribedAt": self.last_subscribed_at,
            "sent": dict(self.sent),
            "sendFailed": self.send_failed,
            "firstSendAt": self.first_send_at,
            "lastSendAt": self.last_send_at,
            "receivers": dict(self.receivers),
            "duplicated": self.duplicated,
            "outOfOrder": self.out_of_order,
            "wrongRoom": self.wrong_room,
            "updates": self.updates,
            "updateBytes": self.update_bytes,
            "meteredUpdates": self.metered_updates,
            "latencyMs": {str(ms): n for ms, n in self.latency_ms.items()},
            "errors": dict(self.errors),
            "retried": self.retried,
            "retries": dict(self.retries),
        }


def expected_and_delivered(progress: list[dict[str, Any]]) -> tuple[int, int]:
    """From workers' progress reports: deliveries owed so far, and made so far."""
    audience: Counter = Counter()
    sent: Counter = Counter()
    delivered = 0
    for report in progress:
        audience.update(report["audience"])
        sent.update(report["sentByRoom"])
        delivered += report["delivered"]
    return sum(n * audience[room] for room, n in sent.items()), delivered


def percentile(histogram: Counter, fraction: float) -> float | None:
    """Nearest-rank percentile of a {value: count} histogram."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= rank:
            return float(value)
    return float(max(histogram))


def _span(starts: list[float | None], ends: list[float | None]) -> float | None:
    starts = [s for s in starts if s is not None]
    ends = [e for e in ends if e is not None]
    if not starts or not ends:
        return None
    return max(0.0, max(ends) - min(starts))


def summarize(tallies: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge every worker's `final()` into the rehearsal's delivery figures."""
    audience: Counter = Counter()
    receivers: Counter = Counter()
    latency: Counter = Counter()
    errors: Counter = Counter()
    retries: Counter = Counter()
    sent: dict[str, str] = {}
    totals = Counter()
    for tally in tallies:
        audience.update(tally["audience"])
        receivers.update(tally["receivers"])
        latency.update({int(ms): n for ms, n in tally["latencyMs"].items()})
        errors.update(tally["errors"])
        retries.update(tally.get("retries", {}))
        sent.update(tally["sent"])
        for key in ("late", "subscribed", "failed", "disconnected", "sendFailed", "duplicated", "outOfOrder",
                    "wrongRoom", "updates", "updateBytes", "meteredUpdates", "retried"):
            totals[key] += tally.get(key, 0)
    expected = sum(audience[room] for room in sent.values())
    delivered = sum(min(receivers[key], audience[room]) for key, room in sent.items())
    unconfirmed = sum(n for key, n in receivers.items() if key not in sent)
    samples = sum(latency.values())
    mean = sum(ms * n for ms, n in latency.items()) / samples if samples else None
    return {
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicated": totals["duplicated"],
        "outOfOrder": totals["outOfOrder"],
        "wrongRoom": totals["wrongRoom"],
        "unconfirmed": unconfirmed,
        "latencyMs": {
            "p50": percentile(latency, 0.50),
            "p95": percentile(latency, 0.95),
            "p99": percentile(latency, 0.99),
            "max": float(max(latency)) if latency else None,
            "mean": round(mean, 1) if mean is not None else None,
            "samples": samples,
        },
        "subscriptions": {
            "subscribed": totals["subscribed"],
            "audience": sum(audience.values()),
            "late": totals["late"],
            "failed": totals["failed"],
            "disconnected": totals["disconnected"],
            "retried": totals["retried"],
            "rampSeconds": _span([t["firstConnectAt"] for t in tallies], [t["lastSubscribedAt"] for t in tallies]),
        },
        "messages": {
            "sent": len(sent),
            "sendFailed": totals["sendFailed"],
            "sendSeconds": _span([t["firstSendAt"] for t in tallies], [t["lastSendAt"] for t in tallies]),
        },
        "updatesReceived": totals["updates"],
        # what data transfer bills per message: the audience's data frames over its first deliveries
        "bytesPerDeliveredMessage": round(totals["updateBytes"] / delivered) if delivered else None,
        # what the outbound quota and the bill count per update received (AWS meters per 5 kB)
        "meteredMessagesPerUpdate": (round(totals["meteredUpdates"] / totals["updates"], 2)
                                     if totals["updates"] else None),
        "errors": dict(sorted(errors.items())),
        "retries": dict(sorted(retries.items())),
    }
