"""The moderation pipelines against moto DynamoDB, without the endpoint: the review hook
(allow, deny, rewrite, fallback), what a refusal leaves in the table, the slow-mode race
condition, and the audit rows."""

from __future__ import annotations

import pytest

from appsync_local.executor import LocalResolverRuntime
from appsync_local.remote_sources import LambdaDataSource
from tests.appsync_local.conftest import ENV, all_rows, user

ALICE = user("alice")
MOD = user("mod", ["moderators"])


def review_runtime(manifest, dynamodb, handler, fallback="deny", timeout=0.2):
    return LocalResolverRuntime(manifest, {**ENV, "MESSAGE_REVIEW": fallback}, dynamodb,
                                data_sources={"messageReview": LambdaDataSource(handler, timeout_seconds=timeout)})


def send(runtime, message, room="lobby", identity=ALICE):
    return runtime.resolve("Mutation", "sendMessage", arguments={"roomId": room, "message": message},
                           identity=identity)


def messages(dynamodb):
    return [row for row in all_rows(dynamodb) if row["sk"]["S"].startswith("MSG#")]


def review(event):
    if "forbidden" in event["message"]:
        return {"result": "DENY", "reason": "not here"}
    if "darn" in event["message"]:
        return {"result": "ALLOW", "message": event["message"].replace("darn", "d***")}
    if "crash" in event["message"]:
        raise RuntimeError("review bug")
    return {"result": "ALLOW"}


def test_review_hook_allows_denies_and_rewrites_with_the_documented_event(manifest, dynamodb):
    events = []

    def recording(event):
        events.append(event)
        return review(event)

    runtime = review_runtime(manifest, dynamodb, recording)
    assert send(runtime, "hello").data["message"] == "hello"
    assert send(runtime, "darn it").data["message"] == "d*** it"
    denied = send(runtime, "a forbidden word")
    assert denied.data is None and denied.errors[0].error_type == "Denied"
    assert "not here" in denied.errors[0].message
    assert events[0] == {"field": "sendMessage", "roomId": "lobby", "userId": "sub-alice", "message": "hello"}
    assert sorted(m["message"]["S"] for m in messages(dynamodb)) == ["d*** it", "hello"]


@pytest.mark.parametrize("fallback, stored", [("deny", 0), ("allow", 1)])
def test_review_failure_applies_the_fallback(manifest, dynamodb, fallback, stored):
    runtime = review_runtime(manifest, dynamodb, review, fallback=fallback)
    result = send(runtime, "crash please")
    if fallback == "deny":
        assert result.errors[0].error_type == "Denied" and "unavailable" in result.errors[0].message
    else:
        assert result.errors == [] and result.data["message"] == "crash please"
    assert len(messages(dynamodb)) == stored


def test_review_timeout_applies_the_fallback(manifest, dynamodb):
    import time

    def slow(event):
        time.sleep(0.5)
        return {"result": "ALLOW"}

    result = send(review_runtime(manifest, dynamodb, slow, timeout=0.05), "hello")
    assert result.errors[0].error_type == "Denied" and messages(dynamodb) == []


def test_slow_mode_state_is_written_with_the_message_under_a_condition(runtime, dynamodb):
    settings = runtime.resolve("Mutation", "updateRoomSettings", arguments={"roomId": "lobby", "slowModeSeconds": 60},
                               identity=MOD)
    assert settings.data["slowModeSeconds"] == 60  # (no HTTP stand-in here: the room event is not published)
    assert send(runtime, "first").errors == []
    write = runtime.dynamodb_calls[-1]
    assert write.operation == "TransactWriteItems"
    message, state = (item["Put"] for item in write.request["TransactItems"])
    assert message["Item"]["message"] == {"S": "first"}
    assert message["ConditionExpression"] == "attribute_not_exists(pk)"
    # A message that passed the read before "first" was written fails this condition: SlowMode, nothing written.
    assert (state["Item"]["pk"], state["Item"]["sk"]) == ({"S": "ROOM#lobby#USER#sub-alice"}, {"S": "SLOWMODE"})
    assert state["ConditionExpression"] == "attribute_not_exists(pk) OR lastSentAt <= :cutoff"
    refused = send(runtime, "second")
    assert refused.errors[0].error_type == "SlowMode" and len(messages(dynamodb)) == 1
    moderator = send(runtime, "moderators are exempt", identity=MOD)
    assert moderator.errors == [] and runtime.dynamodb_calls[-1].operation == "PutItem"


def test_every_moderation_action_leaves_one_audit_row_and_refusals_none(runtime, dynamodb):
    sent = send(runtime, "hello").data
    runtime.resolve("Mutation", "deleteMessage", arguments={"roomId": "lobby", "messageId": sent["messageId"]},
                    identity=MOD)
    runtime.resolve("Mutation", "banUser", arguments={"roomId": "lobby", "userId": "sub-alice",
                                                      "durationSeconds": 60, "reason": "flooding"}, identity=MOD)
    runtime.resolve("Mutation", "unbanUser", arguments={"roomId": "lobby", "userId": "sub-alice"}, identity=MOD)
    runtime.resolve("Mutation", "updateRoomSettings", arguments={"roomId": "lobby", "blockedTerms": ["x"]},
                    identity=MOD)
    refused = [
        runtime.resolve("Mutation", "banUser", arguments={"roomId": "lobby", "userId": "alice"}, identity=ALICE),
        runtime.resolve("Mutation", "unbanUser", arguments={"roomId": "lobby", "userId": "nobody"}, identity=MOD),
        runtime.resolve("Mutation", "banUser", arguments={"roomId": "lobby", "userId": "sub-mod"}, identity=MOD),
        runtime.resolve("Mutation", "updateRoomSettings", arguments={"roomId": "lobby"}, identity=MOD),
        runtime.resolve("Mutation", "banUser", arguments={"roomId": "lobby", "userId": "alice",
                                                          "durationSeconds": 0}, identity=MOD),
    ]
    assert [r.errors[0].error_type for r in refused] == [
        "Unauthorized", "NotFound", "ValidationError", "ValidationError", "ValidationError"]
    log = runtime.resolve("Query", "getModerationLog", arguments={"roomId": "lobby"}, identity=MOD).data["items"]
    assert [(e["action"], e["target"]) for e in log] == [
        ("updateRoomSettings", None), ("unbanUser", "sub-alice"), ("banUser", "sub-alice"),
        ("deleteMessage", sent["messageId"])]
    assert log[2]["reason"] == "flooding" and log[2]["actor"] == "sub-mod"
    tombstone = next(m for m in messages(dynamodb) if m["messageId"]["S"] == sent["messageId"])
    assert "message" not in tombstone and "gsi1pk" not in tombstone and tombstone["deletedBy"]["S"] == "sub-mod"
