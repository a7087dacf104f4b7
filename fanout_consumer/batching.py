"""Pure planning of publishes from DynamoDB stream records: which messages, per room, in
stream order, in chunks that fit AppSync's subscription payload limit."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# AppSync's fixed limit on one subscription message is 240 KB; keep a margin for the
# envelope AppSync wraps around the data.
SUBSCRIPTION_PAYLOAD_LIMIT = 240 * 1024
DEFAULT_MAX_BATCH_BYTES = 200 * 1024
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
class Publish:
    room_id: str
    messages: tuple[StreamMessage, ...]

    @property
    def first_sequence(self) -> str:
        return self.messages[0].sequence


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


def messages_from_records(records: list[dict]) -> list[StreamMessage]:
    """New MESSAGE rows in the records (INSERTs only: replies and updates are not chat lines)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record["dynamodb"].get("NewImage") or {}
        if image.get("type", {}).get("S") != "MESSAGE":
            continue
        row = {key: _plain(value) for key, value in image.items() if key in (
            "roomId", "messageId", "sender", "senderName", "message", "createdAt")}
        found.append(
            StreamMessage(
                room_id=row["roomId"],
                message_id=row["messageId"],
                sender=row["sender"],
                message=row["message"],
                created_at=row["createdAt"],
                sequence=padded_sequence(record["dynamodb"]["SequenceNumber"]),
                sender_name=row.get("senderName"),
            )
        )
    return found


def payload_bytes(room_id: str, messages: list[StreamMessage]) -> int:
    """Size of the subscription message subscribers receive for this batch."""
    body = {
        "data": {
            "onMessageBatch": {
                "roomId": room_id,
                "batchId": messages[-1].sequence if messages else "",
                "messages": [
                    {**{k: v for k, v in asdict(m).items() if k != "sequence"}, "replyCount": 0, "repliedAt": None}
                    for m in messages
                ],
                "__typename": "MessageBatch",
            }
        }
    }
    return len(json.dumps(body, ensure_ascii=False).encode("utf-8"))


def plan_publishes(records: list[dict], max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> list[Publish]:
    """One publish per room per flush, split where a batch would exceed max_batch_bytes.

    Rooms keep stream order; publishes are ordered by their first message's sequence so
    a failure can be reported as a single checkpoint.
    """
    if max_batch_bytes > SUBSCRIPTION_PAYLOAD_LIMIT:
        raise ValueError(f"max_batch_bytes {max_batch_bytes} exceeds AppSync's {SUBSCRIPTION_PAYLOAD_LIMIT}")
    by_room: dict[str, list[StreamMessage]] = {}
    for message in sorted(messages_from_records(records), key=lambda m: m.sequence):
        by_room.setdefault(message.room_id, []).append(message)
    publishes = []
    for room_id, messages in by_room.items():
        chunk: list[StreamMessage] = []
        for message in messages:
            if chunk and payload_bytes(room_id, [*chunk, message]) > max_batch_bytes:
                publishes.append(Publish(room_id, tuple(chunk)))
                chunk = []
            chunk.append(message)
        publishes.append(Publish(room_id, tuple(chunk)))
    return sorted(publishes, key=lambda p: p.first_sequence)
