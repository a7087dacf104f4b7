"""Stream records -> archive records: pure, standard library only (it runs in the Lambda too).

One archive record per chat event, from the table's stream (NEW_AND_OLD_IMAGES):

- `message`: a MESSAGE row inserted (every message sent, deleted ones included);
- `reply`: a THREAD row inserted;
- `deletion`, `ban`, `unban`, `settings`: an AUDIT row inserted (the moderation transaction
  writes exactly one per action, with who, whom, why and the details).

A message's later deletion is recorded as its own `deletion` record (audit); the `message`
record keeps the text, so a takedown purges it with `purge_message` (README "Archive").
Records carry `key` (the stream record's eventID): delivery is at least once, readers dedupe.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

MODERATION_EVENTS = {"deleteMessage": "deletion", "banUser": "ban", "unbanUser": "unban",
                     "updateRoomSettings": "settings"}


def _plain(value: dict[str, Any]) -> Any:
    """One DynamoDB attribute value ({"S": ...}, {"N": ...}, ...) as plain JSON."""
    (kind, inner), = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind in ("SS", "NS"):
        return sorted(inner)
    return None  # binary: nothing the chat writes


def _image(record: dict[str, Any], which: str) -> dict[str, Any]:
    image = record.get("dynamodb", {}).get(which) or {}
    return {key: _plain(value) for key, value in image.items()}


def archive_record(record: dict[str, Any], event: str) -> dict[str, Any] | None:
    """The archive record for one stream record of event (stack) `event`, or None (not a chat event)."""
    if record.get("eventName") != "INSERT":
        return None
    row = _image(record, "NewImage")
    kind = row.get("type")
    base = {"key": record.get("eventID"), "event": event, "roomId": row.get("roomId")}
    if kind == "MESSAGE":
        return {**base, "type": "message", "at": row.get("createdAt"), "messageId": row.get("messageId"),
                "sender": row.get("sender"), "senderName": row.get("senderName"), "text": row.get("message")}
    if kind == "THREAD":
        return {**base, "type": "reply", "at": row.get("createdAt"), "messageId": row.get("messageId"),
                "replyId": row.get("replyId"), "sender": row.get("sender"), "senderName": row.get("senderName"),
                "text": row.get("message")}
    if kind == "AUDIT" and row.get("action") in MODERATION_EVENTS:
        details = row.get("details")
        return {**base, "type": MODERATION_EVENTS[row["action"]], "at": row.get("createdAt"),
                "eventId": row.get("eventId"), "actor": row.get("actor"), "target": row.get("target"),
                "reason": row.get("reason"), "details": json.loads(details) if isinstance(details, str) else details}
    return None


def partition(record: dict[str, Any]) -> str:
    """`event=<event>/date=<YYYY-MM-DD>/hour=<HH>` of the record's time (UTC), Hive style."""
    at = record.get("at") or ""
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        when = datetime.now(UTC)
    return f"event={record['event']}/date={when:%Y-%m-%d}/hour={when:%H}"


def to_lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def purge_message(lines: str, item_id: str) -> tuple[str, int]:
    """A takedown: the archive lines with one message's (messageId) or reply's (replyId) text
    removed, and how many records were purged. The records stay (counts and the audit hold);
    `purged: true` marks them."""
    kept, purged = [], 0
    for line in lines.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        target = record.get("replyId") if record.get("type") == "reply" else record.get("messageId")
        if record.get("type") in ("message", "reply") and target == item_id and record.get("text"):
            record["text"] = None
            record["purged"] = True
            purged += 1
        kept.append(record)
    return to_lines(kept), purged
