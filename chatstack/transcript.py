"""`chatstack export`: an event's transcript (messages and thread replies, deletions marked, their
text gone) as JSON lines or CSV, read from the stack's table (or its archive, `--archive`), so an
event can be kept before teardown.

`--room R` reads that room with Queries (its messages, then each thread that has replies);
without it the whole table is read once with a Scan — a one-off, offline read that costs read
units, which the chat itself never does. Locally the stack's localAdmin credential signs the
reads; against AWS the default credentials must be allowed dynamodb:Query/Scan on the table.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

FIELDS = ("roomId", "kind", "messageId", "replyId", "sender", "senderName", "message", "createdAt", "deletedAt",
          "deletedBy")
_PLAIN = TypeDeserializer().deserialize


def _row(item: dict[str, Any]) -> dict[str, Any] | None:
    plain = {key: _PLAIN(value) for key, value in item.items()}
    kind = {"MESSAGE": "message", "THREAD": "reply"}.get(plain.get("type"))
    if kind is None:
        return None
    row = {field: plain.get(field) for field in FIELDS if field != "kind"}
    row["kind"] = kind
    if row.get("deletedAt"):
        row["message"] = None  # a tombstone keeps who and when, never the text
    return {field: row.get(field) for field in FIELDS}


def _pages(call, **params) -> Iterator[dict[str, Any]]:
    while True:
        page = call(**params)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def transcript(dynamodb: Any, table: str, room: str | None = None) -> list[dict[str, Any]]:
    """Messages and replies, ordered by room, then time (a reply after its message)."""
    if room is None:
        items = _pages(dynamodb.scan, TableName=table, ConsistentRead=True)
    else:
        def room_items() -> Iterator[dict[str, Any]]:
            for item in _pages(dynamodb.query, TableName=table, ConsistentRead=True,
                               KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
                               ExpressionAttributeValues={":pk": {"S": f"ROOM#{room}"}, ":msg": {"S": "MSG#"}}):
                yield item
                if int(item.get("replyCount", {}).get("N", "0")) > 0:
                    message_id = item["messageId"]["S"]
                    yield from _pages(dynamodb.query, TableName=table, ConsistentRead=True,
                                      KeyConditionExpression="pk = :pk",
                                      ExpressionAttributeValues={":pk": {"S": f"ROOM#{room}#MSG#{message_id}"}})
        items = room_items()
    rows = [row for row in map(_row, items) if row is not None]
    return sorted(rows, key=lambda r: (r["roomId"] or "", r["messageId"] or "", r["replyId"] or ""))


def transcript_from_archive(archive: Path, room: str | None = None) -> list[dict[str, Any]]:
    """The same rows from an archive folder (archive_consumer.records): a deletion blanks its
    message's text and marks who and when, as the table's tombstone does; records delivered twice
    count once."""
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(archive.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records.setdefault(record.get("key") or line, record)
    deletions = {r["target"]: r for r in records.values() if r.get("type") == "deletion" and r.get("target")}
    rows = []
    for record in records.values():
        if record.get("type") not in ("message", "reply") or (room is not None and record.get("roomId") != room):
            continue
        deleted = deletions.get(record["messageId"]) if record["type"] == "message" else None
        rows.append({
            "roomId": record.get("roomId"), "kind": record["type"], "messageId": record.get("messageId"),
            "replyId": record.get("replyId"), "sender": record.get("sender"), "senderName": record.get("senderName"),
            "message": None if deleted else record.get("text"), "createdAt": record.get("at"),
            "deletedAt": deleted["at"] if deleted else None, "deletedBy": deleted["actor"] if deleted else None,
        })
    return sorted(rows, key=lambda r: (r["roomId"] or "", r["messageId"] or "", r["replyId"] or ""))


def as_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
