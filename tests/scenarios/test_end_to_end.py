"""The served dev stack end to end with real gql clients: HTTP (AIOHTTPTransport) and
real-time (AppSyncWebsocketsTransport, unmodified), the real resolver runtime, moto
DynamoDB and Cognito on loopback."""

from __future__ import annotations

import asyncio
import itertools

import aiohttp
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError

from appsync_local.executor import LocalResolverRuntime
from tests.support import run_async

SEND = gql("""
mutation Send($roomId: ID!, $message: String!) {
  sendMessage(roomId: $roomId, message: $message) { roomId messageId sender message createdAt replyCount }
}""")
REPLY = gql("""
mutation Reply($roomId: ID!, $messageId: ID!, $message: String!) {
  replyToMessage(roomId: $roomId, messageId: $messageId, message: $message) {
    roomId messageId replyId sender message createdAt
  }
}""")
ON_SEND = gql("subscription OnSend($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message } }")
ON_REPLY = gql("subscription OnReply($roomId: ID!) { onReply(roomId: $roomId) { roomId messageId replyId sender } }")
GET_MESSAGES = gql("""
query Get($roomId: ID!, $limit: Int, $nextToken: String) {
  getMessages(roomId: $roomId, limit: $limit, nextToken: $nextToken) { items { messageId message } nextToken }
}""")
BY_SENDER = gql("""
query BySender($sender: String!) { getMessagesBySender(sender: $sender) { items { messageId sender } } }""")

_rooms = itertools.count(1)


async def run(session, document, variables):
    return await session.execute(GraphQLRequest(document, variable_values=variables))


def subscribe(session, document, variables):
    return session.subscribe(GraphQLRequest(document, variable_values=variables))


def fresh_room(prefix: str) -> str:
    return f"{prefix}{next(_rooms)}"


def http_client(served, username: str | None = None, token: str | None = None) -> Client:
    headers = {"Authorization": token if token is not None else served.token(username)}
    return Client(transport=AIOHTTPTransport(url=served.outputs["graphqlUrl"], headers=headers))


def ws_client(served, username: str) -> Client:
    url = served.outputs["realtimeUrl"]
    auth = AppSyncJWTAuthentication(host=url.split("/")[2], jwt=served.token(username))
    return Client(transport=AppSyncWebsocketsTransport(url=url, auth=auth))


async def wait_subscribed(served, field: str, room: str, count: int = 1) -> None:
    """Until `count` subscriptions on this test's own room are registered (other tests'
    connections may still be closing, so counting all subscriptions would race)."""
    await served.loop.arun(served.local.appsync.realtime.wait_for_subscriptions(
        count, field, arguments={"roomId": room}))


def test_the_stack_runs_the_real_resolver_runtime(served):
    assert isinstance(served.local.runtime, LocalResolverRuntime)
    assert set(served.outputs) == {"graphqlUrl", "realtimeUrl", "apiId", "region", "userPoolId",
                                   "userPoolClientId", "tableName", "cognitoEndpoint",
                                   "dynamodbEndpoint", "localAdmin", "fanOutMode", "attendeeAuth", "selfSignUp"}


def test_subscriber_receives_exactly_its_rooms_messages_with_its_own_selection(served):
    room, other = fresh_room("r"), fresh_room("other")

    async def scenario():
        async with ws_client(served, "alice") as alice_ws, http_client(served, "bob") as bob:
            events = subscribe(alice_ws, ON_SEND, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onSendMessage", room)
            sent1 = (await run(bob, SEND, {"roomId": room, "message": "one"}))["sendMessage"]
            await run(bob, SEND, {"roomId": other, "message": "elsewhere"})
            sent3 = (await run(bob, SEND, {"roomId": room, "message": "three"}))["sendMessage"]
            got1 = await asyncio.wait_for(first, 5)
            got2 = await asyncio.wait_for(events.__anext__(), 5)
            await events.aclose()
            return sent1, sent3, got1, got2

    sent1, sent3, got1, got2 = run_async(scenario())
    # Only the room's messages, in order (the other room's message came between them), and
    # only the fields the subscriber selected.
    assert got1 == {"onSendMessage": {"roomId": room, "messageId": sent1["messageId"], "message": "one"}}
    assert got2 == {"onSendMessage": {"roomId": room, "messageId": sent3["messageId"], "message": "three"}}
    assert sent1["sender"] == served.sub("bob")


def test_reply_publishes_on_reply(served):
    room = fresh_room("thread")

    async def scenario():
        async with ws_client(served, "alice") as alice_ws, http_client(served, "bob") as bob:
            parent = (await run(bob, SEND, {"roomId": room, "message": "q?"}))["sendMessage"]
            events = subscribe(alice_ws, ON_REPLY, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onReply", room)
            reply = (await run(bob, REPLY, {
                "roomId": room, "messageId": parent["messageId"], "message": "a!"}))["replyToMessage"]
            got = await asyncio.wait_for(first, 5)
            await events.aclose()
            return parent, reply, got

    parent, reply, got = run_async(scenario())
    assert got == {"onReply": {"roomId": room, "messageId": parent["messageId"], "replyId": reply["replyId"],
                               "sender": served.sub("bob")}}


def test_get_messages_pages_newest_first(served):
    room = fresh_room("paging")

    async def scenario():
        async with http_client(served, "alice") as alice:
            for text in ("m1", "m2", "m3"):
                await run(alice, SEND, {"roomId": room, "message": text})
            pages, token = [], None
            while True:
                page = (await run(alice, GET_MESSAGES, {
                    "roomId": room, "limit": 2, "nextToken": token}))["getMessages"]
                pages.append([m["message"] for m in page["items"]])
                token = page["nextToken"]
                if not token:
                    return pages

    pages = run_async(scenario())
    assert [m for page in pages for m in page] == ["m3", "m2", "m1"]
    assert pages[0] == ["m3", "m2"]


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "Bearer x.y.z"])
def test_bad_or_missing_token_is_401_unauthorized_exception(served, token):
    async def scenario():
        headers = {} if token is None else {"Authorization": token}
        async with aiohttp.ClientSession() as session:
            response = await session.post(served.outputs["graphqlUrl"], headers=headers,
                                          json={"query": "{ getMessages(roomId: \"r\") { nextToken } }"})
            return response.status, await response.json()

    status, body = run_async(scenario())
    assert status == 401
    assert body["errors"][0]["errorType"] == "UnauthorizedException"
    assert body["errors"][0]["message"]


def test_gql_client_with_a_bad_token_fails(served):
    async def scenario():
        async with http_client(served, token="not-a-jwt") as bad:
            await run(bad, GET_MESSAGES, {"roomId": "r"})

    # gql reports AppSync's 401 body (errors[]) as a query error.
    with pytest.raises(TransportQueryError) as raised:
        run_async(scenario())
    assert raised.value.errors[0]["errorType"] == "UnauthorizedException"


def test_access_tokens_are_accepted_too(served):
    async def scenario():
        async with http_client(served, token=served.users["alice"]["access"]) as alice:
            return await run(alice, GET_MESSAGES, {"roomId": fresh_room("access")})

    assert run_async(scenario()) == {"getMessages": {"items": [], "nextToken": None}}


def test_bad_input_is_a_validation_error_and_writes_nothing(served):
    room = fresh_room("blank")
    rows_before = served.local.dynamodb.scan(TableName=served.outputs["tableName"])["Count"]

    async def scenario():
        async with http_client(served, "alice") as alice:
            await run(alice, SEND, {"roomId": room, "message": "   "})

    with pytest.raises(TransportQueryError) as raised:
        run_async(scenario())
    error = raised.value.errors[0]
    assert error["errorType"] == "ValidationError"
    assert "message must be" in error["message"]
    assert error["path"] == ["sendMessage"]
    assert raised.value.data is None
    assert served.local.dynamodb.scan(TableName=served.outputs["tableName"])["Count"] == rows_before


def test_non_moderator_is_unauthorized_for_get_messages_by_sender(served):
    async def scenario(username):
        async with http_client(served, username) as client:
            return await run(client, BY_SENDER, {"sender": served.sub("bob")})

    with pytest.raises(TransportQueryError) as raised:
        run_async(scenario("alice"))
    error = raised.value.errors[0]
    assert error["errorType"] == "Unauthorized"
    assert error["path"] == ["getMessagesBySender"]
    assert error["message"] == "Not Authorized to access getMessagesBySender on type Query"
    # A moderator (cognito:groups from the ID token) may.
    items = run_async(scenario("mod"))["getMessagesBySender"]["items"]
    assert items and {m["sender"] for m in items} == {served.sub("bob")}
