"""Bytes a subscriber receives per delivery, measured from the payloads the system really builds.

perMessage: the `onSendMessage` data message AppSync sends for one sendMessage (the mutation's
selection set, as the web client selects it). batched: the `onMessageBatch` data message built
by `fanout_consumer.batching.payload_bytes` for a flush's messages (packed: each sender once,
ids, text). Both are wrapped in the real-time protocol's data frame ({"id","type":"data",
"payload"}), which is what crosses the wire and what AppSync bills as data transfer out. Sample
rows use realistic field lengths: a 26-character ULID message id, a 36-character Cognito/OIDC
sub, a short display name, and, as at a big event, every message of a flush from another
attendee (so the sender table saves nothing: the figure is not flattered by repeat senders).
"""

from __future__ import annotations

import json
from functools import cache

from fanout_consumer.batching import StreamMessage, packed_batch, payload_bytes
from fanout_consumer.events import channel_event

COMPACT = (",", ":")  # AppSync's frames carry no whitespace
SAMPLE_ROOM_ID = "main-stage"
SAMPLE_SUBSCRIPTION_ID = "0b7c3f2e-5d41-4a9e-9c1b-2f8e6a7d4c10"  # client-chosen UUID
SAMPLE_SENDER = "6f1d2c3b-8e9a-4b7c-a1d2-{index:012d}"  # a token's sub
SAMPLE_SENDER_NAME = "Attendee {index:06d}"  # fixed width: only the items' sender index grows
SAMPLE_CREATED_AT = "2026-12-05T20:15:30.123Z"


def _frame_bytes(data_document_bytes: int) -> int:
    """The real-time data frame around a subscription's `{"data": ...}` document."""
    envelope = json.dumps({"id": SAMPLE_SUBSCRIPTION_ID, "type": "data", "payload": None}, separators=COMPACT).encode()
    return data_document_bytes + len(envelope) - len(b"null")


def _sample_message(index: int, text_bytes: int) -> StreamMessage:
    return StreamMessage(
        room_id=SAMPLE_ROOM_ID,
        message_id=f"01JF{index:022d}",
        sender=SAMPLE_SENDER.format(index=index),
        message="x" * text_bytes,
        created_at=SAMPLE_CREATED_AT,
        sequence=f"{index + 1:040d}",
        sender_name=SAMPLE_SENDER_NAME.format(index=index),
    )


@cache
def per_message_frame_bytes(text_bytes: int) -> int:
    """One onSendMessage delivery of a message with `text_bytes` of text."""
    message = _sample_message(0, text_bytes)
    document = {"data": {"onSendMessage": {
        "roomId": message.room_id, "messageId": message.message_id, "sender": message.sender,
        "senderName": message.sender_name, "message": message.message, "createdAt": message.created_at,
        "repliedAt": None, "replyCount": 0, "__typename": "Message",
    }}}
    return _frame_bytes(len(json.dumps(document, ensure_ascii=False, separators=COMPACT).encode()))


def measured_batch_frame_bytes(messages: int, text_bytes: int) -> int:
    """One onMessageBatch delivery carrying `messages` messages of `text_bytes` each, built."""
    sample = [_sample_message(i, text_bytes) for i in range(max(1, messages))]
    return _frame_bytes(payload_bytes(SAMPLE_ROOM_ID, sample))


def measured_events_frame_bytes(messages: int, text_bytes: int) -> int:
    """One Event API delivery of a batch (fanOutMode events), built: the packed batch published
    to the room's channel (fanout_consumer.events), which subscribers receive as a JSON string
    in the Events protocol's data frame ({"id","type":"data","event"}): quotes in it escaped."""
    sample = [_sample_message(i, text_bytes) for i in range(max(1, messages))]
    event = json.dumps(channel_event(packed_batch(SAMPLE_ROOM_ID, sample)), ensure_ascii=False, separators=COMPACT)
    frame = {"id": SAMPLE_SUBSCRIPTION_ID, "type": "data", "event": event}
    return len(json.dumps(frame, ensure_ascii=False, separators=COMPACT).encode())


def _index_digits(messages: int) -> int:
    """Digits the items' sender indexes (0 .. messages-1) carry beyond one each."""
    extra, start = 0, 10
    while start < messages:  # each index from `start` on has one more digit
        extra += messages - start
        start *= 10
    return extra


def _extrapolated(measure, messages: int, text_bytes: int) -> int:
    # Every item adds the same bytes but for its sender index's digits: two built batches
    # give the rest exactly (tests/chatstack/planning: equal to the built batch at any size).
    one, two = measure(1, text_bytes), measure(2, text_bytes)
    return one + (max(1, messages) - 1) * (two - one) + _index_digits(max(1, messages))


@cache
def batch_frame_bytes(messages: int, text_bytes: int) -> int:
    """One onMessageBatch delivery carrying `messages` messages of `text_bytes` each."""
    return _extrapolated(measured_batch_frame_bytes, messages, text_bytes)


@cache
def events_frame_bytes(messages: int, text_bytes: int) -> int:
    """One Event API delivery of a batch (fanOutMode events) of `messages` messages."""
    return _extrapolated(measured_events_frame_bytes, messages, text_bytes)
