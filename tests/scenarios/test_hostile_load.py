"""The served dev stack under a hostile client: AppSync's limits enforced (resolver count,
real-time protocol rules), bounded memory per connection, no schema hints with introspection off.
Each case is one the endpoint got wrong before these limits existed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

import aiohttp
import pytest

from appsync_local.server.graphql_endpoint import GraphQLEndpoint
from tests.support import realtime_url, receive, run_async, start_frame

ON_SEND = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message } }"
_rooms = itertools.count()


def fresh_room(prefix: str) -> str:
    return f"{prefix}{next(_rooms)}"


async def connect(session, served, username="alice", **options):
    ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], served.token(username)),
                                  protocols=("graphql-ws",), **options)
    await ws.send_json({"type": "connection_init"})
    assert (await receive(ws))["type"] == "connection_ack"
    return ws


async def post(session, served, query, variables=None, username="bob"):
    response = await session.post(served.outputs["graphqlUrl"], json={"query": query, "variables": variables or {}},
                                  headers={"Authorization": served.token(username)})
    return response.status, await response.json()


def send(room: str, message: str = "hi") -> tuple[str, dict]:
    return ("mutation M($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
            "{ roomId messageId message } }", {"roomId": room, "message": message})


async def frames_within(ws, seconds: float) -> list[dict]:
    """Every frame but keep-alives that arrives within `seconds`."""
    frames, loop = [], asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            frame = await asyncio.wait_for(ws.receive_json(), left)
            if frame.get("type") != "ka":
                frames.append(frame)
    return frames


def room_rows(served, room: str) -> int:
    table = served.outputs["tableName"]
    return served.local.dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk",
                                       ExpressionAttributeValues={":pk": {"S": f"ROOM#{room}"}},
                                       Select="COUNT")["Count"]


# ---- resolverCountLimit ----------------------------------------------------------------

def test_the_stacks_resolver_count_limit_stops_a_thousand_aliased_mutations(served):
    """resolverCountLimit (200 in every stack): past it, fields fail with AppSync's
    ResolverExecutionLimitReached and write nothing; 1,000 aliased mutations are no crash."""
    limit = served.local.appsync.endpoint.resolver_count_limit
    assert limit == 200  # passed from the registered GraphQLApi, not a local default
    room = fresh_room("aliases")
    fields = " ".join(f'm{n}: sendMessage(roomId: "{room}", message: "x{n}") {{ messageId }}' for n in range(1000))

    async def scenario():
        async with aiohttp.ClientSession() as session:
            return await post(session, served, f"mutation {{ {fields} }}")

    status, body = run_async(scenario())
    assert status == 200
    # sendMessage is non-null: its errors null the whole `data` (GraphQL's null propagation), but
    # the first 200 ran, in order, and only they wrote.
    assert body["data"] is None
    assert room_rows(served, room) == limit
    # the 201st is refused, and as a non-null root field its error ends the serial execution
    assert [(e["errorType"], e["message"], e["path"]) for e in body["errors"]] == [
        ("ResolverExecutionLimitReached", "Resolver invocation limit reached", [f"m{limit}"])]


def test_a_document_over_the_token_limit_is_refused_before_any_work(served):
    """The largest document accepted has MAX_QUERY_TOKENS tokens (~100 KB): one more and the
    parser stops there, before validation or execution."""
    from appsync_local.server.graphql_endpoint import MAX_QUERY_TOKENS

    def document(fields: int) -> str:
        return "query Q { " + " ".join(f"a{n}: __typename" for n in range(fields)) + " }"

    largest = (MAX_QUERY_TOKENS - 4) // 3  # "query", "Q", "{", "}" + 3 per field

    async def scenario():
        async with aiohttp.ClientSession() as session:
            return (await post(session, served, document(largest)),
                    await post(session, served, document(largest + 1)))

    (ok_status, ok), (status, refused) = run_async(scenario())
    assert ok_status == 200 and len(ok["data"]) == largest
    assert status == 400 and refused["errors"][0]["errorType"] == "InvalidSyntax"
    assert f"more than {MAX_QUERY_TOKENS} tokens" in refused["errors"][0]["message"]


# ---- introspection off: no "Did you mean" ------------------------------------------------

@pytest.mark.parametrize("query", [
    '{ getMesages(roomId: "r") { nextToken } }',  # field
    '{ getMessages(roomid: "r") { nextToken } }',  # argument
    'query Q($r: ID!) { getMessages(roomId: $r) { itemz { message } } }',  # nested field
])
def test_errors_do_not_suggest_names_when_introspection_is_off(query):
    from tests.project import PROJECT

    class NoRuntime:
        def has_resolver(self, *_):
            return False

    async def errors(endpoint):
        response = await endpoint.execute({"query": query, "variables": {"r": "x"}}, identity=None)
        return " ".join(e["message"] for e in response.body["errors"])

    closed = GraphQLEndpoint(PROJECT.schema(), NoRuntime(), introspection=False)
    open_ = GraphQLEndpoint(PROJECT.schema(), NoRuntime(), introspection=True)
    assert "Did you mean" in run_async(errors(open_))  # the hint exists ...
    assert "Did you mean" not in run_async(errors(closed))  # ... and is withheld


# ---- real-time protocol ----------------------------------------------------------------

@pytest.mark.parametrize("protocols", [(), ("graphql-transport-ws",), ("mqtt",)])
def test_a_connection_without_the_graphql_ws_subprotocol_is_refused(served, protocols):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
                await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], served.token("alice")),
                                         protocols=protocols)
            return raised.value.status

    assert run_async(scenario()) == 400


def test_a_reused_subscription_id_is_a_duplicated_operation_and_the_first_stays(served):
    room, other = fresh_room("dup"), fresh_room("dup-other")

    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served)
            await ws.send_str(start_frame("same-id", ON_SEND, {"roomId": room}, served.token("alice")))
            first = await receive(ws)
            await ws.send_str(start_frame("same-id", ON_SEND, {"roomId": other}, served.token("alice")))
            second = await receive(ws)
            await post(session, served, *send(other, "to the second room"))
            _, sent = await post(session, served, *send(room, "to the first room"))
            data = await receive(ws)
            await ws.close()
            return first, second, sent, data

    first, second, sent, data = run_async(scenario())
    assert first == {"id": "same-id", "type": "start_ack"}
    assert second == {"id": "same-id", "type": "error", "payload": {"errors": [
        {"errorType": "DuplicatedOperationError", "message": "Duplicated operation with id same-id"}]}}
    # the first subscription was not replaced: only its room's message arrives
    expected = {"onSendMessage": sent["data"]["sendMessage"]}
    assert data == {"id": "same-id", "type": "data", "payload": {"data": expected}}


def test_a_connection_that_never_sends_connection_init_is_closed(served):
    realtime = served.local.appsync.realtime
    original = realtime.connection_init_timeout
    realtime.connection_init_timeout = 0.3

    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], served.token("alice")),
                                          protocols=("graphql-ws",))
            message = await receive(ws)
            closing = await asyncio.wait_for(ws.receive(), 5)
            return message, closing.type

    try:
        message, closing = run_async(scenario())
    finally:
        realtime.connection_init_timeout = original
    assert message["type"] == "connection_error"
    assert message["payload"]["errors"][0]["errorType"] == "ConnectionInitTimeout"
    assert closing in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)


def test_a_subscription_ends_when_the_token_that_started_it_expires(served):
    """AppSync answers an expired token with UnauthorizedException "Token has expired."; a
    subscription must not keep receiving on it (real moto token, the server's clock moved on)."""
    realtime = served.local.appsync.realtime
    room = fresh_room("expiry")

    async def scenario():
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, served)
            await ws.send_str(start_frame("s", ON_SEND, {"roomId": room}, served.token("alice")))
            assert (await receive(ws))["type"] == "start_ack"
            original = realtime.clock
            realtime.clock = lambda: original() + 2 * 3600  # moto's tokens live one hour
            try:
                await post(session, served, *send(room, "after expiry"))
                ended = await receive(ws)
            finally:
                realtime.clock = original
            await post(session, served, *send(room, "later still"))
            late = await frames_within(ws, 1.0)
            await ws.close()
            return ended, late

    ended, late = run_async(scenario())
    assert ended == {"id": "s", "type": "error", "payload": {"errors": [
        {"errorType": "UnauthorizedException", "message": "Token has expired."}]}}
    assert late == []  # the subscription is gone, not just silenced once


def test_the_connection_limit_refuses_one_more_connection(served):
    realtime = served.local.appsync.realtime
    original = realtime.max_connections
    assert original == served.local.max_connections == 1000  # LocalStack's setting reaches the server

    async def scenario():
        async with aiohttp.ClientSession() as session:
            first = await connect(session, served)
            realtime.max_connections = len(realtime.connections)
            ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], served.token("bob")),
                                          protocols=("graphql-ws",))
            refused = await receive(ws)
            await first.close()
            return refused

    try:
        refused = run_async(scenario())
    finally:
        realtime.max_connections = original
    assert refused["type"] == "connection_error"
    assert refused["payload"]["errors"][0]["errorType"] == "LimitExceededError"


def test_a_reader_that_stops_reading_is_disconnected_not_buffered_without_bound(served):
    """100 subscriptions on one connection that never reads: the server queues at most
    max_outbox_bytes for it, then closes it with an error; other clients are unaffected."""
    realtime = served.local.appsync.realtime
    room = fresh_room("slow")
    before = realtime.slow_consumers_disconnected
    original = realtime.max_outbox_bytes
    realtime.max_outbox_bytes = 256 * 1024

    async def scenario():
        async with aiohttp.ClientSession() as session:
            slow = await connect(session, served)
            for n in range(100):
                await slow.send_str(start_frame(f"s{n}", ON_SEND, {"roomId": room}, served.token("alice")))
            await served.loop.arun(realtime.wait_for_subscriptions(100, "onSendMessage", arguments={"roomId": room}))
            started = time.monotonic()
            sent = 0
            while realtime.slow_consumers_disconnected == before and time.monotonic() - started < 30:
                await post(session, served, *send(room, "y" * 2000))
                sent += 1
            disconnected = realtime.slow_consumers_disconnected - before
            queued = [c.queued_bytes for c in realtime.connections]
            # the slow connection is gone from the registry; a normal client still round-trips
            ws = await connect(session, served, username="bob")
            await ws.send_str(start_frame("ok", ON_SEND, {"roomId": room + "-ok"}, served.token("bob")))
            ok = await receive(ws)
            await ws.close()
            frames = []
            with contextlib.suppress(Exception):
                while True:
                    message = await asyncio.wait_for(slow.receive(), 5)
                    if message.type != aiohttp.WSMsgType.TEXT:
                        frames.append(message.type)
                        break
            return disconnected, sent, queued, ok, frames

    try:
        disconnected, sent, queued, ok, frames = run_async(scenario())
    finally:
        realtime.max_outbox_bytes = original
    assert disconnected == 1, f"not disconnected after {sent} messages"
    assert all(q <= 256 * 1024 for q in queued)
    assert realtime.subscriptions("onSendMessage", {"roomId": room}) == []
    assert ok == {"id": "ok", "type": "start_ack"}
    assert frames and frames[-1] in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
