import json

from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from fanout_consumer.batching import (
    SUBSCRIPTION_PAYLOAD_LIMIT,
    StreamReply,
    items_from_records,
    messages_from_records,
    padded_sequence,
    payload_bytes,
    plan_publishes,
)

SERIALIZE = TypeSerializer().serialize


def record(sequence: int, room: str, text: str, *, kind="MESSAGE", event="INSERT") -> dict:
    image = {
        "pk": f"ROOM#{room}", "sk": f"MSG#{sequence:026d}", "type": kind, "roomId": room,
        "messageId": f"{sequence:026d}", "sender": "alice", "message": text,
        "createdAt": "2026-11-28T03:00:00.000Z", "replyCount": 0,
    }
    if kind == "THREAD":
        image.update(pk=f"ROOM#{room}#MSG#{sequence:026d}", sk=f"REPLY#{sequence:026d}", replyId=f"R{sequence:025d}")
        del image["replyCount"]
    return {
        "eventName": event,
        "dynamodb": {"SequenceNumber": str(1000 + sequence), "NewImage": {k: SERIALIZE(v) for k, v in image.items()}},
    }


def test_only_inserted_message_and_reply_rows_are_published():
    records = [record(1, "a", "hi"), record(2, "a", "x", kind="THREAD"), record(3, "a", "y", event="MODIFY"),
               record(4, "a", "z", kind="FANOUT")]
    assert [m.message for m in messages_from_records(records)] == ["hi"]
    assert [(type(i).__name__, i.message) for i in items_from_records(records)] == [
        ("StreamMessage", "hi"), ("StreamReply", "x")]


def test_a_message_deleted_before_its_batch_flushed_is_not_published():
    deletion = record(1, "a", "", event="MODIFY")
    image = deletion["dynamodb"]["NewImage"]
    del image["message"]
    image["deletedAt"] = SERIALIZE("2026-11-28T03:00:01.000Z")
    [publish] = plan_publishes([record(1, "a", "secret text"), record(2, "a", "kept"), deletion])
    assert [m.message for m in publish.messages] == ["kept"]
    assert "secret text" not in json.dumps([m.as_input() for m in publish.messages])


def test_a_malformed_row_is_skipped_not_retried_forever():
    broken = record(1, "a", "hi")
    del broken["dynamodb"]["NewImage"]["message"]
    assert items_from_records([broken, record(2, "a", "ok")])[0].message == "ok"


def test_replies_travel_in_their_rooms_batch_in_stream_order():
    records = [record(1, "a", "m1"), record(2, "a", "r1", kind="THREAD"), record(3, "b", "m2"),
               record(4, "a", "r2", kind="THREAD")]
    first, second = plan_publishes(records)
    assert (first.room_id, [m.message for m in first.messages], [r.message for r in first.replies]) == (
        "a", ["m1"], ["r1", "r2"])
    assert isinstance(first.replies[0], StreamReply) and first.replies[0].as_input()["replyId"] == "R" + "2".zfill(25)
    assert (second.room_id, [m.message for m in second.messages], second.replies) == ("b", ["m2"], ())
    # a batch of replies alone is published too, and checkpoints at its first reply
    [only] = plan_publishes([record(5, "c", "r3", kind="THREAD")])
    assert (only.messages, only.first_sequence) == ((), padded_sequence("1005"))


def test_sequence_padding_orders_like_numbers():
    assert padded_sequence("99") < padded_sequence("100")
    assert len(padded_sequence("1" * 21)) == 40


rooms = st.sampled_from(["r1", "r2", "r3"])
texts = st.text(min_size=1, max_size=2000)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(rooms, texts), min_size=1, max_size=60), st.integers(min_value=4_000, max_value=200_000))
def test_every_message_once_in_room_order_within_the_size_limit(lines, max_bytes):
    records = [record(i, room, text) for i, (room, text) in enumerate(lines)]
    publishes = plan_publishes(records, max_bytes)
    seen = [m.message_id for p in publishes for m in p.messages]
    assert sorted(seen) == sorted(f"{i:026d}" for i in range(len(lines)))  # each exactly once
    for room in {r for r, _ in lines}:
        in_room = [m.sequence for p in publishes if p.room_id == room for m in p.messages]
        assert in_room == sorted(in_room)
    for publish in publishes:
        assert {m.room_id for m in publish.messages} == {publish.room_id}
        if len(publish.messages) > 1:
            assert payload_bytes(publish.room_id, list(publish.messages)) <= max_bytes
    # greedy: two consecutive chunks of one room could not have been one
    for first, second in zip(publishes, publishes[1:], strict=False):
        if first.room_id == second.room_id:
            assert payload_bytes(first.room_id, [*first.messages, second.messages[0]]) > max_bytes


def test_one_publish_per_room_when_it_fits():
    records = [record(i, f"r{i % 3}", "hello") for i in range(30)]
    publishes = plan_publishes(records)
    assert sorted(p.room_id for p in publishes) == ["r0", "r1", "r2"]
    assert all(payload_bytes(p.room_id, list(p.messages)) < SUBSCRIPTION_PAYLOAD_LIMIT for p in publishes)
