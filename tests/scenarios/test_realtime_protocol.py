"""The real-time WebSocket protocol frame by frame (raw aiohttp client), against the served
dev stack, and subscription resolvers (enhanced filters, invalidation) with a stand-in runtime."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json

import aiohttp
import pytest
from aiohttp import web

from appsync_local.contract import FieldResult, ResolverError
from appsync_local.server import GraphQLEndpoint, LocalAppSync
from chatstack.local.program import GRAPHQL_API
from tests.support import realtime_url, receive, run_async, start_frame

ON_SEND = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message sender } }"


async def connect(session, url, token):
    ws = await session.ws_connect(realtime_url(url, token), protocols=("graphql-ws",))
    await ws.send_json({"type": "connection_init"})
    ack = await receive(ws)
    assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
    return ws


async def subscribe(ws, subscription_id, query, variables, token):
    await ws.send_str(start_frame(subscription_id, query, variables, token))
    return await receive(ws)


async def post(session, served, query, variables, username="bob"):
    response = await session.post(served.outputs["graphqlUrl"], json={"query": query, "variables": variables},
                                  headers={"Authorization": served.token(username)})
    return await response.json()


def test_handshake_keepalive_start_ack_data_stop_complete(served):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served.outputs["realtimeUrl"], served.token("alice"))
            assert ws.protocol == "graphql-ws"
            ka = await asyncio.wait_for(ws.receive_json(), 5)  # keepalive_seconds=0.5 in the fixture
            ack = await subscribe(ws, "b1a1e6c0-uuid-style-id", ON_SEND, {"roomId": "proto1"}, served.token("alice"))
            sent = await post(session, served, 'mutation { sendMessage(roomId: "proto1", message: "hey") '
                                                '{ roomId messageId message sender } }', {})
            data = await receive(ws)
            await ws.send_json({"id": "b1a1e6c0-uuid-style-id", "type": "stop"})
            complete = await receive(ws)
            # stopped means stopped: a later message in the room is not delivered
            await post(session, served, 'mutation { sendMessage(roomId: "proto1", message: "after") '
                                        '{ roomId messageId } }', {})
            late = []
            deadline = asyncio.get_running_loop().time() + 1.0
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    late.append(await asyncio.wait_for(ws.receive_json(), left))
            assert [m for m in late if m.get("type") != "ka"] == []
            await ws.close()
            return ka, ack, sent, data, complete

    ka, ack, sent, data, complete = run_async(scenario())
    assert ka == {"type": "ka"}
    assert ack == {"id": "b1a1e6c0-uuid-style-id", "type": "start_ack"}
    assert data == {"id": "b1a1e6c0-uuid-style-id", "type": "data",
                    "payload": {"data": {"onSendMessage": sent["data"]["sendMessage"]}}}
    assert complete == {"id": "b1a1e6c0-uuid-style-id", "type": "complete"}


def test_unselected_fields_are_null_and_do_not_match_filters_appsync_community_109(served):
    """A mutation that does not select roomId publishes nothing a roomId subscriber matches;
    one that does not select `message` delivers message: null."""

    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served.outputs["realtimeUrl"], served.token("alice"))
            await subscribe(ws, "1", ON_SEND, {"roomId": "gotcha"}, served.token("alice"))
            await post(session, served, 'mutation { sendMessage(roomId: "gotcha", message: "lost") { messageId } }', {})
            kept = await post(session, served,
                              'mutation { sendMessage(roomId: "gotcha", message: "kept") { roomId messageId } }', {})
            data = await receive(ws)
            await ws.close()
            return kept, data

    kept, data = run_async(scenario())
    # The first mutation's event never arrives: the first data frame is the second mutation's.
    assert data["payload"]["data"]["onSendMessage"] == {
        "roomId": "gotcha", "messageId": kept["data"]["sendMessage"]["messageId"], "message": None, "sender": None}


def test_aliases_in_the_mutation_still_publish_by_field_name(served):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served.outputs["realtimeUrl"], served.token("alice"))
            await subscribe(ws, "1", "subscription { m: onSendMessage(roomId: \"alias\") { r: roomId message } }",
                            {}, served.token("alice"))
            await post(session, served,
                       'mutation { x: sendMessage(roomId: "alias", message: "hi") { room: roomId text: message } }', {})
            data = await receive(ws)
            await ws.close()
            return data

    assert run_async(scenario())["payload"]["data"] == {"m": {"r": "alias", "message": "hi"}}


@pytest.mark.parametrize(
    ("frame", "error_type"),
    [
        ("this is not json", "MessageProcessingError"),
        ("[1, 2]", "MessageProcessingError"),
        ("[" * 100_000, "MessageProcessingError"),  # nested too deep for the JSON decoder (RecursionError)
        ('{"type": "subscribe", "id": "9"}', "UnsupportedOperation"),
        ('{"type": "start"}', "MessageProcessingError"),
        ('{"id": "9", "type": "start", "payload": {"data": "{not json"}}', "MessageProcessingError"),
    ],
)
def test_garbage_frames_get_an_error_and_the_connection_keeps_working(served, frame, error_type):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served.outputs["realtimeUrl"], served.token("alice"))
            bystander = await connect(session, served.outputs["realtimeUrl"], served.token("bob"))
            await subscribe(bystander, "b", ON_SEND, {"roomId": "garbage"}, served.token("bob"))
            await ws.send_str(frame)
            error = await receive(ws)
            ack = await subscribe(ws, "after", ON_SEND, {"roomId": "garbage"}, served.token("alice"))
            await post(session, served, 'mutation { sendMessage(roomId: "garbage", message: "still") '
                                        '{ roomId messageId message sender } }', {})
            mine, theirs = await receive(ws), await receive(bystander)
            await ws.close()
            await bystander.close()
            return error, ack, mine, theirs

    error, ack, mine, theirs = run_async(scenario())
    assert error["type"] == "error"
    assert error["payload"]["errors"][0]["errorType"] == error_type
    assert ack == {"id": "after", "type": "start_ack"}
    assert mine["payload"]["data"]["onSendMessage"]["message"] == "still"
    assert theirs["payload"]["data"]["onSendMessage"]["message"] == "still"


def test_bad_queries_and_tokens_on_start_get_an_error_with_the_id(served):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served.outputs["realtimeUrl"], served.token("alice"))
            token = served.token("alice")
            answers = [
                await subscribe(ws, "syntax", "subscription {", {}, token),
                await subscribe(ws, "unknown", "subscription { onNothing { x } }", {}, token),
                await subscribe(ws, "query", '{ getMessages(roomId: "r") { nextToken } }', {}, token),
                await subscribe(ws, "novar", ON_SEND, {}, token),
                await subscribe(ws, "token", ON_SEND, {"roomId": "x"}, "not-a-jwt"),
                await subscribe(ws, "ok", ON_SEND, {"roomId": "x"}, token),
            ]
            await ws.close()
            return answers

    answers = run_async(scenario())
    by_id = {a["id"]: a for a in answers}
    for subscription_id in ("syntax", "unknown", "query", "novar", "token"):
        assert by_id[subscription_id]["type"] == "error", by_id[subscription_id]
        assert by_id[subscription_id]["payload"]["errors"][0]["message"]
    assert by_id["unknown"]["payload"]["errors"][0]["errorType"] == "ValidationError"
    assert by_id["query"]["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"
    assert by_id["token"]["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
    assert by_id["ok"] == {"id": "ok", "type": "start_ack"}


def test_a_connection_without_a_valid_token_gets_connection_error(served):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], "garbage"),
                                          protocols=("graphql-ws",))
            message = await receive(ws)
            closed = await asyncio.wait_for(ws.receive(), 5)
            return message, closed.type

    message, closed = run_async(scenario())
    assert message["type"] == "connection_error"
    assert message["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
    assert closed in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)


def _header_subprotocol(token: str) -> str:
    """The connect authorization as Amplify v6 and aws-appsync-subscription-link send it."""
    encoded = base64.urlsafe_b64encode(json.dumps({"Authorization": token, "host": "local"}).encode())
    return "header-" + encoded.decode().rstrip("=")


def test_authorization_in_the_subprotocol_header_without_query_parameters(served):
    """No `?header=`: the token comes only as a `header-<base64url>` Sec-WebSocket-Protocol entry;
    the server answers with `graphql-ws` (browsers drop a connection answered otherwise)."""

    async def scenario():
        async with aiohttp.ClientSession() as session:
            url = served.outputs["realtimeUrl"]
            ws = await session.ws_connect(url, protocols=("graphql-ws", _header_subprotocol(served.token("alice"))))
            await ws.send_json({"type": "connection_init"})
            ack = await receive(ws)
            started = await subscribe(ws, "sp1", ON_SEND, {"roomId": "subproto"}, served.token("alice"))
            await post(session, served, 'mutation { sendMessage(roomId: "subproto", message: "via header-") '
                                        '{ roomId messageId message sender } }', {})
            data = await receive(ws)
            protocol = ws.protocol
            await ws.close()
            refused = await session.ws_connect(url, protocols=("graphql-ws", _header_subprotocol("forged.jwt.token")))
            error = await receive(refused)
            return protocol, ack, started, data, error

    protocol, ack, started, data, error = run_async(scenario())
    assert protocol == "graphql-ws"
    assert ack["type"] == "connection_ack"
    assert started == {"id": "sp1", "type": "start_ack"}
    assert data["payload"]["data"]["onSendMessage"]["message"] == "via header-"
    assert error["type"] == "connection_error"
    assert error["payload"]["errors"][0]["errorType"] == "UnauthorizedException"


def test_browser_preflight_allows_what_amplify_and_apollo_send(served):
    """A browser asks before POST /graphql with these headers; AppSync allows them (and any
    custom header), from any origin."""
    requested = "authorization,content-type,x-amz-date,x-amz-user-agent,x-amz-security-token,x-api-key"

    async def scenario():
        async with aiohttp.ClientSession() as session:
            preflight = await session.options(served.outputs["graphqlUrl"], headers={
                "Origin": "http://localhost:5173",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": requested,
            })
            response = await session.post(served.outputs["graphqlUrl"], json={"query": "{ __typename }"},
                                          headers={"Origin": "http://localhost:5173",
                                                   "Authorization": served.token("alice")})
            return preflight.status, dict(preflight.headers), dict(response.headers)

    status, preflight, response = run_async(scenario())
    assert status == 200
    allowed = {h.strip().lower() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert set(requested.split(",")) <= allowed
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Origin"] == "*"


# ---- subscription resolvers, with a stand-in runtime ------------------------------------

class SubscriptionResolverRuntime:
    """Query/Mutation resolvers echo a message; Subscription.onSendMessage sets an enhanced
    filter (sender in the `senders` argument... via the room) and an invalidation filter."""

    def __init__(self):
        self.count = 0

    def has_resolver(self, type_name, field_name):
        return (type_name, field_name) in {("Mutation", "sendMessage"), ("Subscription", "onSendMessage")}

    def resolve(self, type_name, field_name, *, arguments, identity, **_):
        if type_name == "Subscription":
            if arguments["roomId"] == "forbidden":
                return FieldResult(None, [ResolverError("no such room", "Forbidden")])
            return FieldResult(None, extensions={
                "subscriptionFilter": {"filterGroup": [
                    {"filters": [{"fieldName": "roomId", "operator": "eq", "value": arguments["roomId"]},
                                 {"fieldName": "sender", "operator": "ne", "value": identity["username"]}]},
                ]},
                "subscriptionInvalidationFilter": {"filterGroup": [
                    {"filters": [{"fieldName": "roomId", "operator": "eq", "value": arguments["roomId"]}]}]},
            })
        self.count += 1
        extensions = {}
        if arguments["message"].startswith("close the room"):
            extensions["invalidateSubscriptions"] = [{"subscriptionField": "onSendMessage",
                                                       "payload": {"roomId": arguments["roomId"]}}]
        if arguments["message"] == "close the room, then fail":
            # AppSync invalidates only for a mutation that completes.
            return FieldResult(None, [ResolverError("refused", "Forbidden")], extensions=extensions)
        return FieldResult({"roomId": arguments["roomId"], "messageId": str(self.count),
                            "sender": identity["username"], "message": arguments["message"],
                            "createdAt": "2026-01-01T00:00:00Z", "replyCount": 0}, extensions=extensions)


@pytest.fixture(scope="module")
def resolver_server(served):
    schema = served.local.run.one(GRAPHQL_API).inputs["schema"]
    appsync = LocalAppSync(GraphQLEndpoint(schema, SubscriptionResolverRuntime()), served.local.appsync.verify)

    async def start():
        runner = web.AppRunner(appsync.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, runner.addresses[0][1]

    runner, port = served.loop.run(start())
    yield {"graphqlUrl": f"http://127.0.0.1:{port}/graphql", "realtimeUrl": f"ws://127.0.0.1:{port}/graphql/realtime"}
    served.loop.run(runner.cleanup())


def test_subscription_resolver_filters_errors_and_invalidation(served, resolver_server):
    class Urls:
        outputs = resolver_server
        token = served.token

    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, resolver_server["realtimeUrl"], served.token("alice"))
            denied = await subscribe(ws, "denied", ON_SEND, {"roomId": "forbidden"}, served.token("alice"))
            await subscribe(ws, "1", ON_SEND, {"roomId": "enh"}, served.token("alice"))
            # Filtered out by the enhanced filter (alice's own message), then one that passes.
            await post(session, Urls, 'mutation { sendMessage(roomId: "enh", message: "own") { roomId sender } }',
                       {}, "alice")
            await post(session, Urls, 'mutation { sendMessage(roomId: "enh", message: "bob\'s") '
                                      '{ roomId messageId message sender } }', {}, "bob")
            data = await receive(ws)
            await post(session, Urls, 'mutation { sendMessage(roomId: "enh", message: "close the room, then fail") '
                                      '{ roomId } }', {}, "bob")
            await post(session, Urls, 'mutation { sendMessage(roomId: "enh", message: "still open") '
                                      '{ roomId message sender } }', {}, "bob")
            still_open = await receive(ws)
            await post(session, Urls, 'mutation { sendMessage(roomId: "enh", message: "close the room") '
                                      '{ roomId } }', {}, "bob")
            ended = await receive(ws)
            await ws.close()
            return denied, data, still_open, ended

    denied, data, still_open, ended = run_async(scenario())
    assert still_open["payload"]["data"]["onSendMessage"]["message"] == "still open"
    assert denied["type"] == "error" and denied["payload"]["errors"][0]["errorType"] == "Forbidden"
    assert data["payload"]["data"]["onSendMessage"]["message"] == "bob's"
    assert ended == {"id": "1", "type": "complete"}



def test_a_subscription_to_a_mutation_of_another_type_is_refused_as_appsync_does():
    schema = """
type Message { id: ID! }
type Event { id: ID! }
type Query { q: String }
type Mutation { send: Message  note: Event }
type Subscription { onSend: Message @aws_subscribe(mutations: ["send", "note"]) }
"""
    with pytest.raises(ValueError, match="invalid output type: it returns Message, mutation note returns Event"):
        GraphQLEndpoint(schema, SubscriptionResolverRuntime())
