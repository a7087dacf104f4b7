import re

import pytest
from graphql import build_schema

from appsync_local.manifest import MAX_CODE_CHARS, ManifestError, render_code
from components.chat_api import resolver_environment
from tests.project import PROJECT

ENV = resolver_environment("chatstack-x-messages", 86400, None)


def test_manifest_loads_and_names_existing_files():
    manifest = PROJECT.manifest()
    assert {(r.type, r.field) for r in manifest.resolvers} >= {
        ("Query", "getMessages"), ("Query", "getThread"), ("Mutation", "sendMessage"), ("Mutation", "replyToMessage"),
    }
    reply = next(r for r in manifest.resolvers if r.field == "replyToMessage")
    assert reply.kind == "PIPELINE" and len(reply.functions) >= 2


def test_every_client_field_validates_its_arguments_first_on_the_none_data_source():
    manifest = PROJECT.manifest()
    pipelines = {r.field: r.functions for r in manifest.resolvers}
    assert all(r.kind == "PIPELINE" for r in manifest.resolvers)
    assert {r.file for r in manifest.resolvers if r.type == "Subscription"} == {"subscription.js"}
    assert {r.file for r in manifest.resolvers if r.type != "Subscription"} == {"pipeline.js"}
    moderation = ("writeModeration", "publishRoomEvent")
    room_subscription = ("validateArgs", "checkSubscriber")
    assert pipelines == {
        "getMessages": ("validateArgs", "queryRoomMessages"),
        "getThread": ("validateArgs", "queryThread"),
        "getMessagesBySender": ("validateArgs", "queryMessagesBySender"),
        "sendMessage": ("validateArgs", "checkSendAllowed", "reviewMessage", "putMessage"),
        "replyToMessage": ("validateArgs", "checkSendAllowed", "reviewMessage", "writeReply"),
        "publishBatch": ("readFanoutCursor", "advanceFanoutCursor"),
        "pendingBatch": ("readFanoutCursor", "advanceFanoutCursor"),  # the same, cursor left alone
        "deleteMessage": ("validateArgs", "prepareDelete", *moderation),
        "banUser": ("validateArgs", "prepareBan", *moderation),
        "unbanUser": ("validateArgs", "prepareUnban", *moderation),
        "updateRoomSettings": ("validateArgs", "prepareSettings", *moderation),
        "publishRoomEvent": ("echoRoomEvent",),
        "getRoomSettings": ("validateArgs", "readRoomSettings"),
        "getModerationLog": ("validateArgs", "queryModerationLog"),
        "onSendMessage": ("validateArgs", "allowRoomSubscription", "checkSubscriber"),
        "onReply": ("validateArgs", "allowRoomSubscription", "checkSubscriber"),
        "onMessageBatch": room_subscription,
        "onRoomEvent": room_subscription,
    }
    assert manifest.data_source(manifest.function("validateArgs").data_source).type == "NONE"
    # validateArgs fails closed on a field it has no rules for, so every field using it is listed there
    source = manifest.source(manifest.function("validateArgs").file)
    for field, functions in pipelines.items():
        assert ("validateArgs" in functions) == (f"  {field}: {{" in source), field
    # the rules live only there
    others = [f.file for f in manifest.functions if f.name != "validateArgs"] + [r.file for r in manifest.resolvers]
    for relative in others:
        code = manifest.source(relative)
        assert "ID_PATTERN" not in code and "ctx.args.limit" not in code and ".trim()" not in code, relative


def test_every_resolver_field_exists_in_the_schema():
    sdl = PROJECT.manifest().root.parent.joinpath("schema", "chat.graphql").read_text()
    # AppSync's directives and scalars are built in there; declare them for graphql-core.
    prelude = "\n".join(
        [f"scalar {s}" for s in ("AWSDateTime", "AWSJSON")]
        + [
            "directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION",
            "directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION",
            "directive @aws_iam on OBJECT | FIELD_DEFINITION",
            "directive @aws_oidc on OBJECT | FIELD_DEFINITION",
        ]
    )
    schema = build_schema(prelude + "\n" + sdl)
    for resolver in PROJECT.manifest().resolvers:
        parent = schema.get_type(resolver.type)
        assert resolver.field in parent.fields, resolver.name


def test_rendered_code_inlines_env_and_nothing_else():
    manifest = PROJECT.manifest()
    for function in manifest.functions:
        code = manifest.render(function.file, ENV)
        assert "ctx.env." not in code
        assert len(code) <= MAX_CODE_CHARS
    code = manifest.render("functions/writeReply.js", ENV)
    assert code.count('"chatstack-x-messages"') == 2


def test_render_refuses_unknown_env_and_oversized_code():
    with pytest.raises(ManifestError, match="ctx.env.SECRET"):
        render_code("const x = ctx.env.SECRET;", ENV)
    with pytest.raises(ManifestError, match="AppSync allows 32768"):
        render_code("x" * (MAX_CODE_CHARS + 1), ENV)


def test_iam_actions_cover_every_dynamodb_operation_in_code():
    manifest = PROJECT.manifest()
    table = manifest.data_source("chatTable")
    operation_to_actions = {
        "PutItem": {"dynamodb:PutItem"}, "Query": {"dynamodb:Query"}, "GetItem": {"dynamodb:GetItem"},
        "UpdateItem": {"dynamodb:UpdateItem"}, "DeleteItem": {"dynamodb:DeleteItem"}, "Scan": {"dynamodb:Scan"},
        "TransactWriteItems": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
    }
    used = set()
    files = [f.file for f in manifest.functions if f.data_source == "chatTable"]
    files += [r.file for r in manifest.resolvers if r.data_source == "chatTable"]
    for relative in files:
        for operation in re.findall(r"operation: '(\w+)'", manifest.source(relative)):
            used.add(operation)
    assert "Scan" not in used  # the key design serves every access pattern without Scan
    needed = set().union(*(operation_to_actions[op] for op in used if op in operation_to_actions))
    assert needed <= set(table.iam_actions)
