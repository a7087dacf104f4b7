"""Every resolver and pipeline in resolvers/, end to end against moto DynamoDB."""

from __future__ import annotations

import pytest

from tests.appsync_local.conftest import ENV, START, TABLE, all_rows, user
from tests.support import ulid_time

ALICE = user("alice")
BOB = user("bob")
MODERATOR = user("mod", ["moderators"])


def send(runtime, room="lobby", message="hello", identity=ALICE, **extra):
    return runtime.resolve(
        "Mutation", "sendMessage", arguments={"roomId": room, "message": message, **extra}, identity=identity
    )


def reply(runtime, message_id, room="lobby", message="re", identity=BOB):
    return runtime.resolve(
        "Mutation",
        "replyToMessage",
        arguments={"roomId": room, "messageId": message_id, "message": message},
        identity=identity,
    )


def get_messages(runtime, room="lobby", **args):
    return runtime.resolve("Query", "getMessages", arguments={"roomId": room, **args}, identity=ALICE)


def test_send_message_writes_one_message_row(runtime, dynamodb):
    result = send(runtime, message="  hello world  ")
    assert result.errors == []
    data = result.data
    assert data["message"] == "hello world"  # trimmed
    assert data["sender"] == "sub-alice"  # the stable id (sub); the username is the display name
    assert data["senderName"] == "alice"
    assert data["roomId"] == "lobby"
    assert data["replyCount"] == 0
    assert data["messageId"] == "00000000000000000000000001"  # from the injected id factory
    # createdAt is the id's own time (a ULID's first ten characters): a batch carries the id alone
    assert data["createdAt"] == ulid_time(data["messageId"])
    rows = all_rows(dynamodb)
    assert len(rows) == 1
    row = rows[0]
    assert row["pk"] == {"S": "ROOM#lobby"}
    assert row["sk"] == {"S": "MSG#00000000000000000000000001"}
    assert row["gsi1pk"] == {"S": "SENDER#sub-alice"}
    assert row["expiresAt"] == {"N": str(int(START) + 3600)}


def test_no_ttl_when_retention_is_zero(manifest, dynamodb, clock, ids):
    from appsync_local.executor import LocalResolverRuntime

    runtime = LocalResolverRuntime(manifest, {**ENV, "RETENTION_SECONDS": "0"}, dynamodb, clock=clock, id_factory=ids)
    assert send(runtime).errors == []
    assert "expiresAt" not in all_rows(dynamodb)[0]


def test_sender_cannot_be_forged_by_arguments(runtime, dynamodb):
    result = send(runtime, identity=ALICE, sender="mallory", createdAt="1999-01-01T00:00:00Z")
    assert result.data["sender"] == "sub-alice"
    assert result.data["createdAt"] == ulid_time(result.data["messageId"]) != "1999-01-01T00:00:00Z"
    assert all_rows(dynamodb)[0]["sender"] == {"S": "sub-alice"}


def test_send_message_without_identity_is_unauthorized(runtime, dynamodb):
    result = send(runtime, identity=None)
    assert result.data is None
    assert [e.error_type for e in result.errors] == ["Unauthorized"]
    assert all_rows(dynamodb) == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"roomId": "bad room!", "message": "hi"}, "roomId"),
        ({"roomId": "", "message": "hi"}, "roomId"),
        ({"roomId": "x" * 65, "message": "hi"}, "roomId"),
        ({"roomId": "lobby", "message": ""}, "message"),
        ({"roomId": "lobby", "message": "   \n\t "}, "message"),
        ({"roomId": "lobby", "message": "x" * 2001}, "message"),
    ],
)
def test_send_message_validation_errors_write_nothing(runtime, dynamodb, args, field):
    result = runtime.resolve("Mutation", "sendMessage", arguments=args, identity=ALICE)
    assert result.data is None
    assert len(result.errors) == 1
    assert result.errors[0].error_type == "ValidationError"
    assert result.errors[0].error_info == {"field": field}
    assert all_rows(dynamodb) == []
    assert runtime.dynamodb_calls == []


def test_message_of_exactly_2000_characters_is_accepted(runtime, dynamodb):
    result = send(runtime, message="y" * 2000)
    assert result.errors == []
    assert len(all_rows(dynamodb)) == 1


def test_get_messages_pages_newest_first(runtime):
    sent = [send(runtime, message=f"m{i}").data["messageId"] for i in range(7)]
    send(runtime, room="other", message="elsewhere")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        result = get_messages(runtime, limit=3, nextToken=token)
        assert result.errors == []
        seen.extend(item["messageId"] for item in result.data["items"])
        assert len(result.data["items"]) <= 3
        pages += 1
        token = result.data["nextToken"]
        if token is None:
            break
        assert pages < 10
    assert pages >= 3
    assert seen == list(reversed(sent))


def test_get_messages_default_limit_is_50(runtime, dynamodb):
    for i in range(55):
        send(runtime, message=f"m{i}")
    result = get_messages(runtime)
    assert len(result.data["items"]) == 50
    assert result.data["nextToken"] is not None
    query = [c for c in runtime.dynamodb_calls if c.operation == "Query"][-1]
    assert query.request["Limit"] == 50
    assert query.request["ScanIndexForward"] is False


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_get_messages_limit_out_of_range(runtime, limit):
    result = get_messages(runtime, limit=limit)
    assert result.data is None
    assert result.errors[0].error_type == "ValidationError"
    assert result.errors[0].error_info == {"field": "limit"}
    assert runtime.dynamodb_calls == []


def test_get_messages_bad_room(runtime):
    result = get_messages(runtime, room="no spaces")
    assert result.errors[0].error_type == "ValidationError"
    assert result.errors[0].error_info == {"field": "roomId"}


def test_reply_to_missing_message_is_not_found_and_writes_nothing(runtime, dynamodb):
    result = reply(runtime, "00000000000000000000000099")
    assert result.data is None
    assert [(e.error_type, e.message) for e in result.errors] == [
        ("NotFound", "message 00000000000000000000000099 does not exist in room lobby")
    ]
    assert all_rows(dynamodb) == []


def test_reply_writes_thread_row_and_marks_parent_atomically(runtime, dynamodb):
    parent = send(runtime, message="question").data
    result = reply(runtime, parent["messageId"], message="  answer ")
    assert result.errors == []
    assert result.data["message"] == "answer"
    assert (result.data["sender"], result.data["senderName"]) == ("sub-bob", "bob")
    assert result.data["type"] == "THREAD"
    thread = dynamodb.get_item(
        TableName=TABLE,
        Key={"pk": {"S": f"ROOM#lobby#MSG#{parent['messageId']}"}, "sk": {"S": f"REPLY#{result.data['replyId']}"}},
    )["Item"]
    assert thread["message"] == {"S": "answer"}
    parent_row = dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": "ROOM#lobby"}, "sk": {"S": f"MSG#{parent['messageId']}"}}
    )["Item"]
    assert parent_row["replyCount"] == {"N": "1"}
    assert parent_row["repliedAt"] == {"S": result.data["createdAt"]}
    reply(runtime, parent["messageId"], message="second")
    parent_row = dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": "ROOM#lobby"}, "sk": {"S": f"MSG#{parent['messageId']}"}}
    )["Item"]
    assert parent_row["replyCount"] == {"N": "2"}


def test_reply_validation_errors_write_nothing(runtime, dynamodb):
    parent = send(runtime).data
    before = all_rows(dynamodb)
    for args in (
        {"roomId": "lobby", "messageId": "bad id", "message": "x"},
        {"roomId": "lobby", "messageId": parent["messageId"], "message": "  "},
        {"roomId": "lobby", "messageId": parent["messageId"], "message": "z" * 2001},
    ):
        result = runtime.resolve("Mutation", "replyToMessage", arguments=args, identity=BOB)
        assert result.errors[0].error_type == "ValidationError"
    assert all_rows(dynamodb) == before


def test_get_thread_oldest_first_with_paging(runtime):
    parent = send(runtime).data["messageId"]
    replies = [reply(runtime, parent, message=f"r{i}").data["replyId"] for i in range(5)]
    seen: list[str] = []
    token = None
    for _ in range(10):
        result = runtime.resolve(
            "Query",
            "getThread",
            arguments={"roomId": "lobby", "messageId": parent, "limit": 2, "nextToken": token},
            identity=ALICE,
        )
        assert result.errors == []
        seen.extend(item["replyId"] for item in result.data["items"])
        token = result.data["nextToken"]
        if token is None:
            break
    assert seen == replies


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"roomId": "lobby", "messageId": "a b"}, "messageId"),
        ({"roomId": "lobby", "messageId": "x" * 65}, "messageId"),
        ({"roomId": "no spaces", "messageId": "m"}, "roomId"),
        ({"roomId": "lobby", "messageId": "m", "limit": 0}, "limit"),
        ({"roomId": "bad room", "messageId": "bad id", "limit": 101}, "limit"),  # limit is checked first
    ],
)
def test_get_thread_validation(runtime, args, field):
    result = runtime.resolve("Query", "getThread", arguments=args, identity=ALICE)
    assert result.data is None
    assert [(e.error_type, e.error_info) for e in result.errors] == [("ValidationError", {"field": field})]
    assert runtime.dynamodb_calls == []


def test_query_validation_errors_name_the_field(runtime):
    result = get_messages(runtime, room="no spaces")
    assert result.errors[0].message == "roomId must be 1-64 characters of A-Z, a-z, 0-9, _ or -"
    result = runtime.resolve("Query", "getThread", arguments={"roomId": "lobby", "messageId": ""}, identity=ALICE)
    assert result.errors[0].message == "messageId must be 1-64 characters of A-Z, a-z, 0-9, _ or -"
    result = runtime.resolve("Query", "getMessagesBySender", arguments={"sender": "a", "limit": 0}, identity=MODERATOR)
    assert result.errors[0].message == "limit must be between 1 and 100"


def test_each_query_page_is_one_dynamodb_query(runtime):
    parent = send(runtime).data["messageId"]
    reply(runtime, parent)
    runtime.dynamodb_calls.clear()
    get_messages(runtime, limit=7)
    runtime.resolve("Query", "getThread", arguments={"roomId": "lobby", "messageId": parent}, identity=ALICE)
    runtime.resolve("Query", "getMessagesBySender", arguments={"sender": "sub-alice", "limit": 3},
                     identity=MODERATOR)
    assert [(c.operation, c.index, c.request["Limit"]) for c in runtime.dynamodb_calls] == [
        ("Query", None, 7), ("Query", None, 50), ("Query", "bySender", 3),
    ]


def test_validate_args_refuses_a_field_it_has_no_rules_for(manifest, dynamodb, clock, ids):
    """A pipeline wired to validateArgs for a field it does not know fails closed."""
    from dataclasses import replace

    from appsync_local.executor import LocalResolverRuntime

    batch = next(r for r in manifest.resolvers if r.field == "publishBatch")
    wired = replace(manifest, resolvers=(replace(batch, functions=("validateArgs", *batch.functions)),))
    runtime = LocalResolverRuntime(wired, ENV, dynamodb, clock=clock, id_factory=ids)
    result = runtime.resolve("Mutation", "publishBatch", arguments={"roomId": "lobby", "messages": []}, identity=None)
    assert result.data is None
    assert [e.error_type for e in result.errors] == ["ValidationConfiguration"]
    assert runtime.dynamodb_calls == []


def test_get_messages_by_sender_uses_the_index_newest_first(runtime):
    a1 = send(runtime, room="r1", identity=ALICE).data["messageId"]
    send(runtime, room="r1", identity=BOB)
    a2 = send(runtime, room="r2", identity=ALICE).data["messageId"]
    result = runtime.resolve(
        "Query", "getMessagesBySender", arguments={"sender": "sub-alice"}, identity=MODERATOR
    )
    assert result.errors == []
    assert [i["messageId"] for i in result.data["items"]] == [a2, a1]
    query = runtime.dynamodb_calls[-1]
    assert query.operation == "Query" and query.index == "bySender"
    bad = runtime.resolve("Query", "getMessagesBySender", arguments={"sender": "sub-alice", "limit": 101},
                           identity=MODERATOR)
    assert bad.errors[0].error_type == "ValidationError"
    # The resolver checks moderation too (OIDC attendees have no Cognito group for the directive).
    refused = runtime.resolve("Query", "getMessagesBySender", arguments={"sender": "sub-alice"}, identity=ALICE)
    assert [e.error_type for e in refused.errors] == ["Unauthorized"]


def test_resolvers_use_only_the_iam_actions_the_manifest_grants(runtime, manifest):
    parent = send(runtime).data["messageId"]
    reply(runtime, parent)
    reply(runtime, "00000000000000000000000077")  # cancelled transaction still issues the call
    get_messages(runtime, limit=1)
    runtime.resolve("Query", "getThread", arguments={"roomId": "lobby", "messageId": parent}, identity=ALICE)
    runtime.resolve("Query", "getMessagesBySender", arguments={"sender": "sub-alice"}, identity=MODERATOR)
    recorded = runtime.recorded_iam_actions()
    granted = set(manifest.data_source("chatTable").iam_actions)
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= recorded
    assert recorded <= granted, recorded - granted
    assert {c.operation for c in runtime.dynamodb_calls} == {"BatchGetItem", "PutItem", "TransactWriteItems", "Query"}
    assert all(set(c.tables) == {TABLE} for c in runtime.dynamodb_calls)


def test_has_resolver(runtime):
    assert runtime.has_resolver("Mutation", "sendMessage")
    assert runtime.has_resolver("Query", "getThread")
    assert runtime.has_resolver("Subscription", "onSendMessage")  # the per-room rule of batched stacks
    assert runtime.has_resolver("Subscription", "onMessageBatch")  # ban checks
    assert not runtime.has_resolver("Query", "noSuchField")


@pytest.mark.parametrize("token", [
    "not-a-token",
    "!!not base64!!",
    "bm90IGpzb24=",  # "not json"
    "WzEsMl0=",  # [1,2]
    "eyJwayI6IDF9",  # {"pk": 1}: not a typed key, botocore would refuse it with its own text
    "eyJwayI6IHsiWCI6ICJ5In19",  # {"pk": {"X": "y"}}
    "e30=",  # {}
])
def test_a_malformed_next_token_is_appsyncs_invalid_pagination_token_error(runtime, token):
    send(runtime)
    result = get_messages(runtime, nextToken=token)
    assert result.data is None
    [error] = result.errors
    assert error.error_type == "DynamoDB:UserIllegalArgumentException"
    assert error.message.endswith("Invalid pagination token given.")
    assert "Parameter validation" not in error.message and "botocore" not in error.message


def test_the_dynamodb_call_log_is_bounded_but_remembers_every_iam_action(manifest, dynamodb, clock, ids):
    from appsync_local.executor import LocalResolverRuntime

    runtime = LocalResolverRuntime(manifest, ENV, dynamodb, clock=clock, id_factory=ids, call_log_size=5)
    parent = send(runtime).data["messageId"]
    reply(runtime, parent)
    for _ in range(20):
        get_messages(runtime, limit=1)
    assert len(runtime.dynamodb_calls) == 5
    assert {c.operation for c in runtime.dynamodb_calls} == {"Query"}
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= runtime.recorded_iam_actions()
