"""archive_consumer.records: stream records to archive records, partitions, takedown purge."""

from __future__ import annotations

import json

from archive_consumer.records import archive_record, partition, purge_message, to_lines


def stream_record(event_id: str, image: dict, name: str = "INSERT") -> dict:
    typed = {k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in image.items()}
    return {"eventID": event_id, "eventName": name, "dynamodb": {"NewImage": typed, "SequenceNumber": event_id}}


MESSAGE = {"type": "MESSAGE", "roomId": "r", "messageId": "m1", "sender": "u1", "senderName": "Ann",
           "message": "hello", "createdAt": "2026-12-05T23:59:59.900Z", "replyCount": 0}


def test_messages_replies_and_moderation_become_chat_events_and_nothing_else_does():
    reply = {"type": "THREAD", "roomId": "r", "messageId": "m1", "replyId": "p1", "sender": "u2",
             "message": "hi", "createdAt": "2026-12-06T00:00:01Z"}
    audit = {"type": "AUDIT", "roomId": "r", "eventId": "e1", "action": "banUser", "actor": "mod",
             "target": "u1", "reason": "spam", "details": json.dumps({"durationSeconds": 600}),
             "createdAt": "2026-12-06T00:00:02Z"}
    records = [archive_record(stream_record(str(i), image), "finals")
               for i, image in enumerate((MESSAGE, reply, audit))]
    assert [r["type"] for r in records] == ["message", "reply", "ban"]
    assert records[0]["text"] == "hello" and records[0]["key"] == "0"
    assert records[2]["details"] == {"durationSeconds": 600} and records[2]["reason"] == "spam"
    assert archive_record(stream_record("9", MESSAGE, name="MODIFY"), "finals") is None  # a deletion's tombstone
    assert archive_record(stream_record("8", {"type": "CURSOR", "roomId": "r"}), "finals") is None
    # partitions by the event's own time, UTC, Hive style: the midnight split lands in two days
    assert partition(records[0]) == "event=finals/date=2026-12-05/hour=23"
    assert partition(records[1]) == "event=finals/date=2026-12-06/hour=00"


def test_a_takedown_purges_the_text_and_keeps_the_record():
    lines = to_lines([archive_record(stream_record("1", MESSAGE), "finals"),
                      archive_record(stream_record("2", {**MESSAGE, "messageId": "m2", "message": "keep"}), "finals")])
    purged, count = purge_message(lines, "m1")
    records = [json.loads(line) for line in purged.splitlines()]
    assert count == 1 and len(records) == 2
    assert records[0]["text"] is None and records[0]["purged"] is True and records[1]["text"] == "keep"
