"""Lambda entry point for the DynamoDB stream event source mapping.

Delivery guarantees: each room's publishes go out in stream order, one after another;
rooms are published concurrently by a bounded pool, and every call gets a deadline that
ends before the Lambda's own timeout, so one slow room cannot time the whole batch out.
A room whose publish fails (or that ran out of time) stops there; the earliest such
record is reported as the batch item failure, so Lambda retries from it (records after
it are replayed too) and the API's per-room cursor drops what was already published
(`DuplicateBatch`): no subscriber sees a message twice.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fanout_consumer.batching import (
    DEFAULT_MAX_BATCH_BYTES,
    Publish,
    StreamRoomEvent,
    plan_publishes,
    room_events_from_records,
)
from fanout_consumer.events import EventsPublisher, channel_event, room_channel, room_event
from fanout_consumer.publisher import AppSyncPublisher, DuplicateBatch, PublishError

log = logging.getLogger(__name__)

# Rooms published at once: enough to hide HTTP latency, few enough for a 256 MB function
# and AppSync's request rate.
DEFAULT_CONCURRENCY = 16
# No single publish may take longer than this, whatever time is left.
DEFAULT_CALL_TIMEOUT_SECONDS = 5.0
# Kept free before the Lambda timeout to report failures and return.
DEFAULT_SAFETY_MARGIN_SECONDS = 2.0
# A call started with less time than this would most likely be cut off: do not start it.
MIN_CALL_SECONDS = 0.5

# publish(planned, timeout_seconds): returns on success, raises DuplicateBatch or PublishError.
PublishFunction = Callable[[Publish, float], object]
# events stacks: tell a room's channel of a moderation action (raises PublishError).
RoomEventFunction = Callable[[StreamRoomEvent, float], object]
# A room's work in stream order: its publishes and (events stacks) its room events.
Unit = Publish | StreamRoomEvent


def _sequence(unit: Unit) -> str:
    return unit.first_sequence if isinstance(unit, Publish) else unit.sequence


@dataclass
class _RoomOutcome:
    published: int = 0
    duplicates: int = 0
    failed_at: Unit | None = None


def _publish_room(units: list[Unit], publish: PublishFunction, deadline: float, call_timeout: float,
                  tell: RoomEventFunction | None = None) -> _RoomOutcome:
    outcome = _RoomOutcome()
    for unit in units:
        remaining = deadline - time.monotonic()
        if remaining < MIN_CALL_SECONDS:
            log.warning("no time left to publish room %s from %s", unit.room_id, _sequence(unit))
            outcome.failed_at = unit
            return outcome
        try:
            if isinstance(unit, Publish):
                publish(unit, min(call_timeout, remaining))
            elif tell is not None:
                tell(unit, min(call_timeout, remaining))
            outcome.published += 1
        except DuplicateBatch:
            outcome.duplicates += 1
        except PublishError as error:
            log.warning("publish to room %s failed, retrying from %s: %s", unit.room_id, _sequence(unit), error)
            outcome.failed_at = unit  # later units of this room must wait for this one
            return outcome
    return outcome


def process(
    records: list[dict],
    publish: PublishFunction,
    max_batch_bytes: int,
    *,
    time_budget_seconds: float = 30.0 - DEFAULT_SAFETY_MARGIN_SECONDS,
    concurrency: int = DEFAULT_CONCURRENCY,
    call_timeout_seconds: float = DEFAULT_CALL_TIMEOUT_SECONDS,
    tell: RoomEventFunction | None = None,
) -> dict:
    """Publish every planned batch (and, with `tell`, every room event) within the time budget;
    return the Lambda partial-batch response."""
    deadline = time.monotonic() + time_budget_seconds
    by_room: dict[str, list[Unit]] = {}
    units: list[Unit] = [*plan_publishes(records, max_batch_bytes),
                         *(room_events_from_records(records) if tell else [])]
    for unit in sorted(units, key=_sequence):
        by_room.setdefault(unit.room_id, []).append(unit)
    if not by_room:
        return {"batchItemFailures": [], "published": 0, "duplicates": 0}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(by_room))),
                            thread_name_prefix="publish") as pool:
        outcomes = list(pool.map(lambda room: _publish_room(room, publish, deadline, call_timeout_seconds, tell),
                                 by_room.values()))
    counts = {"published": sum(o.published for o in outcomes), "duplicates": sum(o.duplicates for o in outcomes)}
    failed = [o.failed_at for o in outcomes if o.failed_at is not None]
    if not failed:
        return {"batchItemFailures": [], **counts}
    # Stream checkpoints are positions: report the earliest failed record.
    earliest = min(failed, key=_sequence)
    return {"batchItemFailures": [{"itemIdentifier": _record_sequence(records, earliest)}], **counts}


def _record_sequence(records: list[dict], unit: Unit) -> str:
    wanted = _sequence(unit)
    for record in records:
        raw = record["dynamodb"]["SequenceNumber"]
        if raw.zfill(len(wanted)) == wanted:
            return raw
    raise LookupError(wanted)


def through_event_api(graphql: AppSyncPublisher, events: EventsPublisher) -> tuple[PublishFunction, RoomEventFunction]:
    """events stacks: pack the items after the room's cursor (Query.pendingBatch), publish them
    to the room's channel, then move the cursor (publishBatch). A failure before the cursor
    moved is retried from the stream and published again: at least once, never lost (clients
    drop an id they hold); a room event is told at least once (each carries its eventId)."""

    def publish(planned: Publish, timeout: float) -> None:
        batch = graphql.publish(planned, timeout, pending=True)
        events.publish(room_channel(planned.room_id), [channel_event(batch)], timeout)
        try:
            graphql.publish(planned, timeout)
        except DuplicateBatch:
            pass  # another invocation moved it meanwhile: what it holds went out too

    def tell(item: StreamRoomEvent, timeout: float) -> None:
        events.publish(room_channel(item.room_id), [room_event(item.event)], timeout)

    return publish, tell


def handler(event, context=None):
    publisher = AppSyncPublisher(os.environ["GRAPHQL_URL"], os.environ["AWS_REGION"])
    publish, tell = publisher.publish, None
    if os.environ.get("EVENTS_URL"):
        publish, tell = through_event_api(publisher, EventsPublisher(os.environ["EVENTS_URL"],
                                                                     os.environ["AWS_REGION"]))
    max_bytes = int(os.environ.get("MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES))
    # The Lambda's own remaining time, less a margin to return the failures it found.
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 30.0
    result = process(
        event["Records"], publish, max_bytes, tell=tell,
        time_budget_seconds=max(0.0, remaining - DEFAULT_SAFETY_MARGIN_SECONDS),
        concurrency=int(os.environ.get("PUBLISH_CONCURRENCY", DEFAULT_CONCURRENCY)),
    )
    log.info("fan-out: %s", result)
    return {"batchItemFailures": result["batchItemFailures"]}
