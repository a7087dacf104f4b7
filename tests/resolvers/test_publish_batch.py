"""publishBatch (readFanoutCursor -> advanceFanoutCursor) against moto: the room's cursor only
ever moves forward, to the highest sequence published, whatever order the caller sends."""

from __future__ import annotations

from tests.appsync_local.conftest import all_rows


def message(sequence: int) -> dict:
    return {"messageId": f"m{sequence}", "sender": "alice", "message": f"text {sequence}",
            "createdAt": "2026-11-28T03:00:00.000Z", "sequence": f"{sequence:040d}"}


def publish(runtime, *sequences: int, room: str = "lobby"):
    return runtime.resolve("Mutation", "publishBatch",
                           arguments={"roomId": room, "messages": [message(s) for s in sequences]}, identity=None)


def cursor(dynamodb, room: str = "lobby") -> str:
    [row] = [r for r in all_rows(dynamodb) if r["pk"] == {"S": f"ROOM#{room}"} and r["sk"] == {"S": "FANOUT"}]
    return row["lastSequence"]["S"]


def test_out_of_order_messages_move_the_cursor_to_the_highest_and_publish_in_order(runtime, dynamodb):
    result = publish(runtime, 5, 3)
    assert result.errors == []
    assert cursor(dynamodb) == f"{5:040d}"
    assert result.data["batchId"] == f"{5:040d}"
    assert [m["i"] for m in result.data["messages"]] == ["m3", "m5"]
    # packed (schema: MessageBatch): the sender once, items pointing at it, the text
    assert result.data["senders"] == [{"id": "alice", "name": None}]
    assert result.data["messages"] == [{"i": "m3", "s": 0, "x": "text 3"}, {"i": "m5", "s": 0, "x": "text 5"}]


def test_a_replay_below_the_cursor_is_a_duplicate_and_leaves_it_where_it_is(runtime, dynamodb):
    assert publish(runtime, 5, 3).errors == []
    replay = publish(runtime, 3)
    assert [e.error_type for e in replay.errors] == ["DuplicateBatch"]
    assert cursor(dynamodb) == f"{5:040d}"
    # 5 is never published twice: a batch with 5 and something newer publishes only the newer one
    newer = publish(runtime, 5, 7, 6)
    assert [m["i"] for m in newer.data["messages"]] == ["m6", "m7"]
    assert cursor(dynamodb) == f"{7:040d}"


def test_the_cursor_never_moves_backwards_over_any_sequence_of_batches(runtime, dynamodb):
    highest = 0
    for batch in ([9, 2], [4], [11, 10, 1], [3, 12], [12]):
        publish(runtime, *batch)
        highest = max(highest, *batch)
        assert cursor(dynamodb) == f"{highest:040d}"


def test_pending_batch_packs_what_publish_batch_would_and_leaves_the_cursor(runtime, dynamodb):
    assert publish(runtime, 3).errors == []
    pending = runtime.resolve("Query", "pendingBatch", identity=None,
                              arguments={"roomId": "lobby", "messages": [message(s) for s in (3, 4)]})
    assert pending.errors == []
    assert pending.data["messages"] == [{"i": "m4", "s": 0, "x": "text 4"}]  # 3 went out already
    assert cursor(dynamodb) == f"{3:040d}"  # not moved: the consumer moves it once the Event API took it
    assert publish(runtime, 3, 4).data == pending.data
    assert cursor(dynamodb) == f"{4:040d}"
