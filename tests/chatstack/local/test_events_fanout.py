"""fanOutMode events on the local stack: the Event API's WebSocket protocol and HTTP publish
(appsync_local.server.events), the rooms namespace's onSubscribe handler run in the local
APPSYNC_JS runtime against the table, and the consumer publishing each room's packed batches
and room events to /rooms/<roomId>. (Amplify's own Events client: tests/clients.)"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from urllib.parse import urlsplit

import aiohttp
import pytest

from chatstack.offline.evaluation import evaluate_program
from chatstack.operations import operation
from chatstack.project import read_stack_config
from tests.harness import served_stack
from tests.support import run_async, sign_up_and_in, ulid_time

pytestmark = pytest.mark.served

FLUSH_MS = 500


@pytest.fixture(scope="module")
def served():
    config = {**read_stack_config("dev"), "chatstack:fanOutMode": "events", "chatstack:flushIntervalMs": str(FLUSH_MS)}
    with served_stack("eventsdev", run=evaluate_program("eventsdev", config=config), keepalive_seconds=0.5) as stack:
        stack.users = {name: sign_up_and_in(stack.outputs, name, groups=("moderators",) if name == "mia" else ())
                       for name in ("alice", "bob", "mallory", "mia")}
        yield stack


def header(outputs: dict, token: str) -> str:
    auth = {"host": urlsplit(outputs["eventsUrl"]).netloc, "Authorization": token}
    return "header-" + base64.urlsafe_b64encode(json.dumps(auth).encode()).decode().rstrip("=")


class Subscriber:
    """A client of the Event API's WebSocket protocol, as Amplify speaks it."""

    def __init__(self, session: aiohttp.ClientSession, outputs: dict, token: str):
        self.session, self.outputs, self.token = session, outputs, token

    async def __aenter__(self):
        self.ws = await self.session.ws_connect(self.outputs["eventsRealtimeUrl"],
                                                protocols=("aws-appsync-event-ws", header(self.outputs, self.token)))
        assert self.ws.protocol == "aws-appsync-event-ws"
        await self.ws.send_json({"type": "connection_init"})
        ack = await self.next("connection_ack")
        assert ack["connectionTimeoutMs"] > 0
        return self

    async def __aexit__(self, *_):
        await self.ws.close()

    async def next(self, *kinds: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout  # keep-alives (`ka`) come meanwhile: one deadline for all
        while True:
            frame = json.loads((await asyncio.wait_for(self.ws.receive(), max(0.01, deadline - time.monotonic()))).data)
            if frame["type"] in kinds:
                return frame
            assert frame["type"] == "ka", frame

    async def subscribe(self, channel: str, sub_id: str = "s1") -> dict:
        await self.ws.send_json({"type": "subscribe", "id": sub_id, "channel": channel,
                                 "authorization": {"host": urlsplit(self.outputs["eventsUrl"]).netloc,
                                                   "Authorization": self.token}})
        return await self.next("subscribe_success", "subscribe_error")


async def graphql(session, outputs, token, name, **variables) -> dict:
    async with session.post(outputs["graphqlUrl"], headers={"Authorization": token},
                            json={"query": operation(name), "variables": variables}) as response:
        body = await response.json()
    assert not body.get("errors"), body
    return body["data"]


def test_the_stack_outputs_its_event_api(served):
    assert served.outputs["fanOutMode"] == "events"
    assert served.outputs["eventsUrl"].endswith("/event")
    assert served.outputs["eventsRealtimeUrl"].startswith("ws") and served.outputs["eventsRealtimeUrl"].endswith(
        "/event/realtime")


def test_every_message_reaches_a_rooms_subscribers_once_in_order_packed(served):
    room, count = "stage", 12
    alice, bob = served.users["alice"]["id"], served.users["bob"]["id"]

    async def scenario():
        async with aiohttp.ClientSession() as session, Subscriber(session, served.outputs, alice) as subscriber:
            assert (await subscriber.subscribe(f"/rooms/{room}"))["type"] == "subscribe_success"
            sent = [(await graphql(session, served.outputs, bob, "SendMessage", roomId=room,
                                   message=f"m{n}"))["sendMessage"] for n in range(count)]
            events, deadline = [], time.monotonic() + 15
            while sum(len(e["messages"]) for e in events) < count:
                frame = await subscriber.next("data", timeout=max(0.1, deadline - time.monotonic()))
                assert frame["id"] == "s1"
                events.append(json.loads(frame["event"]))  # the event is JSON text
            with pytest.raises(asyncio.TimeoutError):  # two more flushes: nothing else (no duplicates)
                await subscriber.next("data", timeout=3 * FLUSH_MS / 1000)
            return sent, events

    sent, events = run_async(scenario())
    assert all(e["kind"] == "batch" and e["roomId"] == room for e in events)
    delivered = [(m["i"], m["x"], e["senders"][m["s"]]) for e in events for m in e["messages"]]
    assert [(i, x, sender["id"], sender["name"]) for i, x, sender in delivered] == [
        (m["messageId"], m["message"], m["sender"], m["senderName"]) for m in sent]
    assert [ulid_time(m["messageId"]) for m in sent] == [m["createdAt"] for m in sent]
    assert len(events) < count  # batched: fewer updates than messages


def test_a_banned_user_and_a_channel_that_is_no_room_are_refused(served):
    room = "ban-room"
    mallory = served.users["mallory"]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            await graphql(session, served.outputs, served.users["mia"]["id"], "BanUser", roomId=room,
                          userId=subject(mallory["id"]), reason="spam")
            async with Subscriber(session, served.outputs, mallory["id"]) as subscriber:
                banned = await subscriber.subscribe(f"/rooms/{room}")
                everywhere = await subscriber.subscribe("/rooms/*", "s2")
                other = await subscriber.subscribe("/elsewhere/x", "s3")
                allowed = await subscriber.subscribe("/rooms/another-room", "s4")
            return banned, everywhere, other, allowed

    banned, everywhere, other, allowed = run_async(scenario())
    assert banned["type"] == "subscribe_error"
    assert banned["errors"] == [{"errorType": "Forbidden", "message": f"you are banned from room {room}"}]
    assert everywhere["type"] == "subscribe_error" and "is not a room" in everywhere["errors"][0]["message"]
    assert other["type"] == "subscribe_error" and other["errors"][0]["errorType"] == "NotFoundException"
    assert allowed["type"] == "subscribe_success"  # the ban is the room's


def subject(token: str) -> str:
    """The caller id the API uses (the token's sub): what a message's sender is."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def test_attendees_cannot_publish_to_a_room(served):
    alice = served.users["alice"]["id"]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.post(served.outputs["eventsUrl"], headers={"Authorization": alice},
                                    json={"channel": "/rooms/stage", "events": [json.dumps({"kind": "batch"})]}) as r:
                http = (r.status, await r.json())
            async with Subscriber(session, served.outputs, alice) as subscriber:
                await subscriber.ws.send_json({"type": "publish", "id": "p1", "channel": "/rooms/stage",
                                               "events": [json.dumps({"kind": "batch"})]})
                ws = await subscriber.next("publish_success", "publish_error")
            return http, ws

    (status, body), ws = run_async(scenario())
    assert status == 401 and body["errors"][0]["errorType"] == "UnauthorizedException"
    assert ws["type"] == "publish_error" and ws["errors"][0]["errorType"] == "UnauthorizedException"


def test_a_deletion_reaches_the_rooms_channel_as_a_room_event(served):
    room = "moderated"

    async def scenario():
        async with aiohttp.ClientSession() as session, \
                Subscriber(session, served.outputs, served.users["alice"]["id"]) as subscriber:
            assert (await subscriber.subscribe(f"/rooms/{room}"))["type"] == "subscribe_success"
            message = (await graphql(session, served.outputs, served.users["bob"]["id"], "SendMessage", roomId=room,
                                     message="delete me"))["sendMessage"]
            await graphql(session, served.outputs, served.users["mia"]["id"], "DeleteMessage", roomId=room,
                          messageId=message["messageId"])
            seen, deadline = [], time.monotonic() + 15
            while not any(e["kind"] == "roomEvent" for e in seen):
                frame = await subscriber.next("data", timeout=max(0.1, deadline - time.monotonic()))
                seen.append(json.loads(frame["event"]))
            return message, seen

    message, seen = run_async(scenario())
    (event,) = [e for e in seen if e["kind"] == "roomEvent"]
    assert (event["type"], event["messageId"], event["roomId"]) == ("MESSAGE_DELETED", message["messageId"], room)
