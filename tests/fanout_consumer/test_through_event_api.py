"""fanOutMode events: the consumer packs a room's items (pendingBatch), publishes them to the
room's channel, and only then moves the room's cursor (publishBatch); moderation actions' room
events go to the same channel in stream order. (End to end on the local stack:
tests/chatstack/local/test_events_fanout.py.)"""

import json

from fanout_consumer.batching import DEFAULT_MAX_BATCH_BYTES, room_events_from_records
from fanout_consumer.handler import process, through_event_api
from fanout_consumer.publisher import DuplicateBatch, PublishError
from tests.fanout_consumer.test_batching import SERIALIZE, record


def audit(sequence: int, room: str, event: dict) -> dict:
    image = {"pk": f"AUDIT#{room}", "sk": f"EVENT#{sequence}", "type": "AUDIT", "roomId": room,
             "roomEvent": json.dumps(event)}
    new_image = {k: SERIALIZE(v) for k, v in image.items()}
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": str(1000 + sequence), "NewImage": new_image}}


class FakeGraphQL:
    def __init__(self, calls, duplicate_commit=False):
        self.calls, self.duplicate_commit = calls, duplicate_commit

    def publish(self, planned, timeout=None, pending=False):
        self.calls.append(("pendingBatch" if pending else "publishBatch", planned.room_id))
        if not pending and self.duplicate_commit:
            raise DuplicateBatch(planned.room_id)
        return {"roomId": planned.room_id, "batchId": planned.first_sequence, "senders": [],
                "messages": [{"i": m.message_id, "s": 0, "x": m.message} for m in planned.messages], "replies": []}


class FakeEvents:
    def __init__(self, calls, fail=False):
        self.calls, self.fail = calls, fail

    def publish(self, channel, events, timeout=None):
        if self.fail:
            raise PublishError("Event API HTTP 503")
        self.calls.append(("event", channel, [e["kind"] for e in events]))
        return {"successful": [{"index": i} for i in range(len(events))], "failed": []}


def test_the_cursor_moves_only_after_the_event_api_took_the_batch():
    calls = []
    publish, tell = through_event_api(FakeGraphQL(calls), FakeEvents(calls))
    result = process([record(1, "stage", "hi")], publish, DEFAULT_MAX_BATCH_BYTES, tell=tell)
    assert result["batchItemFailures"] == []
    assert calls == [("pendingBatch", "stage"), ("event", "/rooms/stage", ["batch"]), ("publishBatch", "stage")]


def test_a_failed_event_publish_leaves_the_cursor_and_retries_from_the_batch():
    calls = []
    publish, tell = through_event_api(FakeGraphQL(calls), FakeEvents(calls, fail=True))
    result = process([record(1, "stage", "hi")], publish, DEFAULT_MAX_BATCH_BYTES, tell=tell)
    assert calls == [("pendingBatch", "stage")]  # no publishBatch: the items stay after the cursor
    assert result["batchItemFailures"] == [{"itemIdentifier": "1001"}]


def test_a_commit_another_invocation_made_first_is_not_a_failure():
    calls = []
    publish, tell = through_event_api(FakeGraphQL(calls, duplicate_commit=True), FakeEvents(calls))
    assert process([record(1, "stage", "hi")], publish, DEFAULT_MAX_BATCH_BYTES, tell=tell)["batchItemFailures"] == []


def test_room_events_reach_the_rooms_channel_with_its_batches():
    calls = []
    publish, tell = through_event_api(FakeGraphQL(calls), FakeEvents(calls))
    deleted = {"eventId": "E1", "type": "MESSAGE_DELETED", "messageId": "M0", "createdAt": "2026-12-05T12:00:00Z"}
    records = [record(1, "stage", "hi"), audit(2, "stage", deleted), record(3, "stage", "again")]
    assert [e.event for e in room_events_from_records(records)] == [{"roomId": "stage", **deleted}]
    process(records, publish, DEFAULT_MAX_BATCH_BYTES, tell=tell)
    # one batch per room per flush (both messages), ordered by its first item, then the room event
    assert [c for c in calls if c[0] == "event"] == [("event", "/rooms/stage", ["batch"]),
                                                      ("event", "/rooms/stage", ["roomEvent"])]


def test_graphql_batched_stacks_ignore_moderation_rows():
    calls = []

    def publish(planned, timeout):
        calls.append(planned.room_id)

    deleted = {"eventId": "E1", "type": "MESSAGE_DELETED", "createdAt": "2026-12-05T12:00:00Z"}
    process([record(1, "stage", "hi"), audit(2, "stage", deleted)], publish, DEFAULT_MAX_BATCH_BYTES)
    assert calls == ["stage"]
