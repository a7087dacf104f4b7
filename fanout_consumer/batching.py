"""Pure planning of publishes from DynamoDB stream records: which messages and thread replies,
per room, in stream order, in chunks that fit AppSync's subscription payload limit."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

# AppSync's fixed limit on one subscription message is 240 KB; keep a margin for the
# envelope AppSync wraps around the data.
SUBSCRIPTION_PAYLOAD_LIMIT = 240 * 1024
# 40 whole 5,000-byte units: AWS meters (and counts against the outbound quota) each delivery
# per 5 kB started, so a split at a unit boundary wastes none (chatstack.planning.quotas).
DEFAULT_MAX_BATCH_BYTES = 200_000
SEQUENCE_DIGITS = 40


@dataclass(frozen=True)
class StreamMessage:
    room_id: str
    message_id: str
    sender: str
    message: str
    created_at: str
    sequence: str  # stream SequenceNumber, zero-padded so strings order like numbers
    sender_name: str | None = None

    def as_input(self) -> dict:
        return {
            "messageId": self.message_id,
            "sender": self.sender,
            "senderName": self.sender_name,
            "message": self.message,
            "createdAt": self.created_at,
            "sequence": self.sequence,
        }


@dataclass(frozen=True)
class StreamReply:
    room_id: str
    message_id: str  # the parent message
    reply_id: str
    sender: str
    message: str
    created_at: str
    sequence: str
    sender_name: str | None = None

    def as_input(self) -> dict:
        return {
            "messageId": self.message_id,
            "replyId": self.reply_id,
            "sender": self.sender,
            "senderName": self.sender_name,
            "message": self.message,
            "createdAt": self.created_at,
            "sequence": self.sequence,
        }


@dataclass(frozen=True)
class Publish:
    room_id: str
    messages: tuple[StreamMessage, ...]
    replies: tuple[StreamReply, ...] = ()

    @property
    def first_sequence(self) -> str:
        return min(item.sequence for item in (*self.messages, *self.replies))


def padded_sequence(sequence_number: str) -> str:
    if not sequence_number.isdigit() or len(sequence_number) > SEQUENCE_DIGITS:
        raise ValueError(f"not a stream sequence number: {sequence_number!r}")
    return sequence_number.zfill(SEQUENCE_DIGITS)


def _plain(attribute: dict) -> object:
    (kind, value), = attribute.items()
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind in ("S", "BOOL"):
        return value
    if kind == "NULL":
        return None
    raise ValueError(f"unexpected attribute type {kind}")


_MESSAGE_FIELDS = ("roomId", "messageId", "sender", "senderName", "message", "createdAt")
_REPLY_FIELDS = (*_MESSAGE_FIELDS, "replyId")


def items_from_records(records: list[dict]) -> list[StreamMessage | StreamReply]:
    """New MESSAGE and THREAD rows in the records (INSERTs only: updates are not chat lines)."""
    found: list[StreamMessage | StreamReply] = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record["dynamodb"].get("NewImage") or {}
        kind = image.get("type", {}).get("S")
        if kind not in ("MESSAGE", "THREAD"):
            continue
        row = {key: _plain(value) for key, value in image.items() if key in _REPLY_FIELDS}
        required = _REPLY_FIELDS if kind == "THREAD" else _MESSAGE_FIELDS
        if any(row.get(key) is None for key in required if key != "senderName"):
            # Not a row the resolvers write; retrying would block the shard behind it forever.
            log.warning("skipping a malformed %s row at %s", kind, record["dynamodb"].get("SequenceNumber"))
            continue
        common = {"room_id": row["roomId"], "message_id": row["messageId"], "sender": row["sender"],
                  "message": row["message"], "created_at": row["createdAt"], "sender_name": row.get("senderName"),
                  "sequence": padded_sequence(record["dynamodb"]["SequenceNumber"])}
        found.append(StreamMessage(**common) if kind == "MESSAGE" else StreamReply(reply_id=row["replyId"], **common))
    return found


def deleted_in_records(records: list[dict]) -> set[tuple[str, str]]:
    """(roomId, messageId) of messages a moderator deleted within these records (the tombstone
    MODIFY sets deletedAt): a message deleted before its batch flushed is not published."""
    deleted = set()
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage") or {}
        if (record.get("eventName") == "MODIFY" and image.get("type", {}).get("S") == "MESSAGE"
                and "deletedAt" in image and "roomId" in image and "messageId" in image):
            deleted.add((image["roomId"].get("S"), image["messageId"].get("S")))
    return deleted


def messages_from_records(records: list[dict]) -> list[StreamMessage]:
    """New MESSAGE rows in the records."""
    return [item for item in items_from_records(records) if isinstance(item, StreamMessage)]


def packed_batch(room_id: str, messages: list[StreamMessage], replies: list[StreamReply] = ()) -> dict:
    """The MessageBatch publishBatch answers for these items (resolvers/functions/
    advanceFanoutCursor.js packs it so; schema/chat.graphql documents the shape)."""
    senders: list[dict] = []
    index: dict[tuple[str, str | None], int] = {}

    def sender(item: StreamMessage | StreamReply) -> int:
        key = (item.sender, item.sender_name)
        if key not in index:
            index[key] = len(senders)
            senders.append({"id": item.sender, "name": item.sender_name})
        return index[key]

    items = [*messages, *replies]
    return {
        "roomId": room_id,
        "batchId": max(item.sequence for item in items) if items else "",
        "senders": senders,
        "messages": [{"i": m.message_id, "s": sender(m), "x": m.message} for m in messages],
        "replies": [{"p": r.message_id, "i": r.reply_id, "s": sender(r), "x": r.message} for r in replies],
    }


def payload_bytes(room_id: str, messages: list[StreamMessage], replies: list[StreamReply] = ()) -> int:
    """Size of the subscription message subscribers receive for this batch (compact JSON, as
    AppSync sends it)."""
    body = {"data": {"onMessageBatch": packed_batch(room_id, messages, replies)}}
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _publish(room_id: str, items: list[StreamMessage | StreamReply]) -> Publish:
    return Publish(room_id, tuple(i for i in items if isinstance(i, StreamMessage)),
                   tuple(i for i in items if isinstance(i, StreamReply)))


def _size(room_id: str, items: list[StreamMessage | StreamReply]) -> int:
    publish = _publish(room_id, items)
    return payload_bytes(room_id, list(publish.messages), list(publish.replies))


def plan_publishes(records: list[dict], max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> list[Publish]:
    """One publish per room per flush (messages and replies), split where a batch would exceed
    max_batch_bytes.

    Rooms keep stream order; publishes are ordered by their first item's sequence so a failure
    can be reported as a single checkpoint.
    """
    if max_batch_bytes > SUBSCRIPTION_PAYLOAD_LIMIT:
        raise ValueError(f"max_batch_bytes {max_batch_bytes} exceeds AppSync's {SUBSCRIPTION_PAYLOAD_LIMIT}")
    by_room: dict[str, list[StreamMessage | StreamReply]] = {}
    deleted = deleted_in_records(records)
    for item in sorted(items_from_records(records), key=lambda m: m.sequence):
        if isinstance(item, StreamMessage) and (item.room_id, item.message_id) in deleted:
            continue  # deleted before it went out: its text must reach nobody
        by_room.setdefault(item.room_id, []).append(item)
    publishes = []
    for room_id, items in by_room.items():
        chunk: list[StreamMessage | StreamReply] = []
        for item in items:
            if chunk and _size(room_id, [*chunk, item]) > max_batch_bytes:
                publishes.append(_publish(room_id, chunk))
                chunk = []
            chunk.append(item)
        publishes.append(_publish(room_id, chunk))
    return sorted(publishes, key=lambda p: p.first_sequence)


@dataclass(frozen=True)
class StreamRoomEvent:
    """A moderation action's room event (the AUDIT row's roomEvent, written in the action's own
    transaction), as the events consumer tells the room's channel."""

    room_id: str
    sequence: str
    event: dict


def room_events_from_records(records: list[dict]) -> list[StreamRoomEvent]:
    """New AUDIT rows' room events, in stream order."""
    found = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage") or {}
        if record.get("eventName") != "INSERT" or image.get("type", {}).get("S") != "AUDIT":
            continue
        text, room = image.get("roomEvent", {}).get("S"), image.get("roomId", {}).get("S")
        try:
            event = json.loads(text) if text else None
        except ValueError:
            event = None
        if not isinstance(event, dict) or not room:
            log.warning("skipping an AUDIT row without a room event at %s", record["dynamodb"].get("SequenceNumber"))
            continue
        found.append(StreamRoomEvent(room, padded_sequence(record["dynamodb"]["SequenceNumber"]),
                                     {"roomId": room, **event}))
    return sorted(found, key=lambda e: e.sequence)
