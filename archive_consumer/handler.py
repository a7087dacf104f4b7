"""The archive Lambda: the table's stream (its second reader, beside the batched fan-out) to S3,
one object per partition per batch, and per-room chat metrics (CloudWatch embedded metric format).

Objects are named by the batch's first and last sequence numbers, so a retried batch writes the
same keys again (no duplicates); readers dedupe on `key` all the same (at least once).
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from typing import Any

from archive_consumer.records import archive_record, partition, to_lines

METRICS_NAMESPACE = "Chatstack/Chat"


def room_metrics(event: str, records: list[dict[str, Any]], now_ms: int) -> list[dict[str, Any]]:
    """One embedded-metric-format document per room: messages, replies, moderation actions and
    distinct senders in this batch (a batch spans at most the batching window, well under a minute;
    CloudWatch sums the counts per minute, and Senders is per batch, an upper bound's parts)."""
    rooms: dict[str, dict[str, Any]] = defaultdict(lambda: {"Messages": 0, "Replies": 0, "ModerationActions": 0,
                                                             "senders": set()})
    for record in records:
        room = rooms[record.get("roomId") or "-"]
        if record["type"] == "message":
            room["Messages"] += 1
            room["senders"].add(record.get("sender"))
        elif record["type"] == "reply":
            room["Replies"] += 1
            room["senders"].add(record.get("sender"))
        else:
            room["ModerationActions"] += 1
    documents = []
    for room_id, counts in rooms.items():
        documents.append({
            "_aws": {"Timestamp": now_ms, "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE, "Dimensions": [["Event"], ["Event", "RoomId"]],
                "Metrics": [{"Name": name, "Unit": "Count"}
                            for name in ("Messages", "Replies", "ModerationActions", "Senders")]}]},
            "Event": event, "RoomId": room_id, "Messages": counts["Messages"], "Replies": counts["Replies"],
            "ModerationActions": counts["ModerationActions"], "Senders": len(counts["senders"]),
        })
    return documents


def handler(event: dict[str, Any], _context: Any, s3: Any = None) -> dict[str, Any]:
    import boto3

    s3 = s3 or boto3.client("s3")
    bucket, stack_event = os.environ["ARCHIVE_BUCKET"], os.environ["EVENT"]
    stream_records = event.get("Records", [])
    if not stream_records:
        return {"batchItemFailures": []}
    first = stream_records[0]["dynamodb"]["SequenceNumber"]
    last = stream_records[-1]["dynamodb"]["SequenceNumber"]
    by_partition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in stream_records:
        archived = archive_record(record, stack_event)
        if archived is not None:
            by_partition[partition(archived)].append(archived)
    for folder, items in by_partition.items():
        s3.put_object(Bucket=bucket, Key=f"{folder}/part-{first}-{last}.jsonl", Body=to_lines(items).encode(),
                      ContentType="application/x-ndjson")
    for document in room_metrics(stack_event, [r for items in by_partition.values() for r in items],
                                 int(time.time() * 1000)):
        print(json.dumps(document))
    return {"batchItemFailures": []}
