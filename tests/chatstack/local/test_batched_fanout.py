"""Batched fan-out end to end on the local stack: real gql clients, moto's DynamoDB stream,
the same consumer code the Lambda runs, publishBatch over SigV4 (IAM), the real resolvers."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

import pytest
from botocore.credentials import Credentials
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError

from chatstack.offline.evaluation import evaluate_program
from chatstack.project import read_stack_config
from fanout_consumer.batching import Publish, StreamMessage
from fanout_consumer.publisher import AppSyncPublisher, DuplicateBatch
from tests.harness import served_stack
from tests.scenarios.test_end_to_end import ON_REPLY, ON_SEND, REPLY, SEND, http_client, ws_client
from tests.support import run_async, sign_up_and_in, ulid_time

FLUSH_MS = 500
ON_BATCH = gql("""
subscription OnBatch($roomId: ID!) {
  onMessageBatch(roomId: $roomId) {
    roomId batchId senders { id name } messages { i s x } replies { p i s x }
  }
}""")
PUBLISH = gql("""
mutation Publish($roomId: ID!, $messages: [BatchedMessageInput!]!) {
  publishBatch(roomId: $roomId, messages: $messages) { roomId batchId messages { i } }
}""")


class Served:
    def __init__(self, local, loop, outputs, users):
        self.local, self.loop, self.outputs, self.users = local, loop, outputs, users

    def token(self, username: str) -> str:
        return self.users[username]["id"]


@pytest.fixture(scope="module")
def served():
    config = read_stack_config("dev")
    config.update({"chatstack:fanOutMode": "batched", "chatstack:flushIntervalMs": str(FLUSH_MS),
                   "chatstack:perMessageRooms": '["backstage"]'})
    # its own stack name: moto's backends are process-wide and the dev stack's table may exist
    run = evaluate_program("batchdev", config=config)
    with served_stack("batchdev", run=run, keepalive_seconds=0.5) as stack:
        users = {name: sign_up_and_in(stack.outputs, name) for name in ("alice", "bob", "carol")}
        yield Served(stack.local, stack.loop, stack.outputs, users)


async def collect(events, expected: int, deadline: float) -> list[dict]:
    batches, seen = [], 0
    while seen < expected:
        batch = await asyncio.wait_for(events.__anext__(), max(0.1, deadline - time.monotonic()))
        batches.append(batch["onMessageBatch"])
        seen += len(batch["onMessageBatch"]["messages"])
    return batches


def test_a_batched_room_gets_every_message_once_in_order_in_few_updates(served):
    room, messages = "stage", 12

    async def scenario():
        async with ws_client(served, "alice") as alice_ws, ws_client(served, "carol") as carol_ws, \
                http_client(served, "bob") as bob:
            alice = alice_ws.subscribe(GraphQLRequest(ON_BATCH, variable_values={"roomId": room}))
            carol = carol_ws.subscribe(GraphQLRequest(ON_BATCH, variable_values={"roomId": room}))
            firsts = [asyncio.ensure_future(alice.__anext__()), asyncio.ensure_future(carol.__anext__())]
            await served.loop.arun(served.local.appsync.realtime.wait_for_subscriptions(
                2, "onMessageBatch", arguments={"roomId": room}))
            started = time.monotonic()
            sent = []
            for n in range(messages):
                result = await bob.execute(GraphQLRequest(SEND, variable_values={"roomId": room, "message": f"m{n}"}))
                sent.append(result["sendMessage"])
                await bob.execute(GraphQLRequest(SEND, variable_values={"roomId": "elsewhere", "message": "x"}))
                await asyncio.sleep(0.1)
            sending = time.monotonic() - started
            deadline = time.monotonic() + 10
            got = {}
            for who, first, events in (("alice", firsts[0], alice), ("carol", firsts[1], carol)):
                head = (await asyncio.wait_for(first, 10))["onMessageBatch"]
                rest = await collect(events, messages - len(head["messages"]), deadline)
                got[who] = [head, *rest]
            # two more flushes: nothing else may arrive (no duplicates)
            extra = asyncio.ensure_future(alice.__anext__())
            await asyncio.sleep(3 * FLUSH_MS / 1000)
            assert not extra.done(), extra.result()
            extra.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await extra
            # stop both subscriptions: gql's close would otherwise wait 10 s for each
            await alice.aclose()
            await carol.aclose()
            return sent, sending, got

    sent, sending, got = run_async(scenario())
    bob_id = sent[0]["sender"]
    assert bob_id != "bob"  # the token's sub; the name is the username
    for batches in got.values():
        delivered = [m["i"] for b in batches for m in b["messages"]]
        assert delivered == [m["messageId"] for m in sent]  # every message exactly once, in send order
        assert [m["x"] for b in batches for m in b["messages"]] == [m["message"] for m in sent]
        # packed: bob once per batch, his messages pointing at him; createdAt is each id's time
        assert all(b["senders"] == [{"id": bob_id, "name": "bob"}] for b in batches)
        assert all(m["s"] == 0 for b in batches for m in b["messages"])
        assert [ulid_time(m["messageId"]) for m in sent] == [m["createdAt"] for m in sent]
        assert all(b["roomId"] == "stage" for b in batches)
        # at most one update per flush while messages were being sent (+1 for the tail)
        assert len(batches) <= math.ceil(sending / (FLUSH_MS / 1000)) + 1 < messages
    assert got["alice"] == got["carol"]


def test_per_message_subscriptions_are_refused_for_rooms_not_listed_and_open_for_listed_ones(served):
    """A 250,000-person room on onSendMessage is one update per message per subscriber again:
    batched stacks open it only for the small rooms of chatstack:perMessageRooms."""

    async def refused():
        async with ws_client(served, "alice") as alice_ws:
            events = alice_ws.subscribe(GraphQLRequest(ON_SEND, variable_values={"roomId": "stage"}))
            await asyncio.wait_for(events.__anext__(), 10)

    with pytest.raises(TransportQueryError,
                       match=r'delivers messages and replies in batches: subscribe to onMessageBatch'):
        run_async(refused())

    async def listed():
        async with ws_client(served, "alice") as alice_ws, http_client(served, "bob") as bob:
            events = alice_ws.subscribe(GraphQLRequest(ON_SEND, variable_values={"roomId": "backstage"}))
            first = asyncio.ensure_future(events.__anext__())
            await served.loop.arun(served.local.appsync.realtime.wait_for_subscriptions(
                1, "onSendMessage", arguments={"roomId": "backstage"}))
            await bob.execute(GraphQLRequest(SEND, variable_values={"roomId": "backstage", "message": "hi"}))
            return (await asyncio.wait_for(first, 10))["onSendMessage"]

    assert run_async(listed())["message"] == "hi"


def test_a_reply_reaches_a_batched_room_inside_a_batch_and_onReply_is_refused(served):
    """Replies in a 250,000-person room would be one update per reply per subscriber on onReply:
    batched rooms carry them (and so their parents' reply counts) in the room's batches."""
    room = "replies"

    async def scenario():
        async with ws_client(served, "alice") as alice_ws, http_client(served, "bob") as bob:
            batches = alice_ws.subscribe(GraphQLRequest(ON_BATCH, variable_values={"roomId": room}))
            first = asyncio.ensure_future(batches.__anext__())
            await served.loop.arun(served.local.appsync.realtime.wait_for_subscriptions(
                1, "onMessageBatch", arguments={"roomId": room}))
            parent = (await bob.execute(GraphQLRequest(SEND, variable_values={"roomId": room, "message": "q?"})))
            parent_id = parent["sendMessage"]["messageId"]
            received = [(await asyncio.wait_for(first, 10))["onMessageBatch"]]
            reply = (await bob.execute(GraphQLRequest(REPLY, variable_values={
                "roomId": room, "messageId": parent_id, "message": "a!"})))["replyToMessage"]
            deadline = time.monotonic() + 10
            while not any(r["i"] == reply["replyId"] for b in received for r in b["replies"]):
                received.append((await asyncio.wait_for(batches.__anext__(),
                                                        max(0.1, deadline - time.monotonic())))["onMessageBatch"])
            await batches.aclose()
            return parent_id, reply, received

    parent_id, reply, received = run_async(scenario())
    assert [m["i"] for b in received for m in b["messages"]] == [parent_id]
    [(batch, packed)] = [(b, r) for b in received for r in b["replies"]]
    assert packed == {"p": parent_id, "i": reply["replyId"], "s": packed["s"], "x": "a!"}
    assert batch["senders"][packed["s"]] == {"id": reply["sender"], "name": "bob"}
    assert ulid_time(reply["replyId"]) == reply["createdAt"]

    async def refused():
        async with ws_client(served, "alice") as alice_ws:
            events = alice_ws.subscribe(GraphQLRequest(ON_REPLY, variable_values={"roomId": room}))
            await asyncio.wait_for(events.__anext__(), 10)

    with pytest.raises(TransportQueryError, match=r'subscribe to onMessageBatch\(roomId: "replies"\) instead of '
                                                  r'onReply') as error:
        run_async(refused())
    assert "BatchedRoom" in str(error.value)


def test_publish_batch_is_iam_only(served):
    async def scenario():
        async with http_client(served, "alice") as alice:
            await alice.execute(GraphQLRequest(PUBLISH, variable_values={"roomId": "r", "messages": []}))

    with pytest.raises(TransportQueryError, match="Unauthorized|Not Authorized"):
        run_async(scenario())


def test_a_replayed_batch_is_a_duplicate_and_reaches_nobody(served):
    principal = served.local.fanout_principal
    publisher = AppSyncPublisher(served.outputs["graphqlUrl"], served.outputs["region"],
                                 credentials=Credentials(principal.access_key_id, principal.secret_access_key))
    message = StreamMessage("replay", "01JREPLAY0000000000000000", "bob", "hello", "2026-11-28T03:00:00.000Z",
                            "9".zfill(40))
    realtime = served.local.appsync.realtime
    published = []
    original = realtime.publish

    def spy(subscription_field, payload):
        published.append((subscription_field, payload))
        return original(subscription_field, payload)

    realtime.publish = spy
    try:
        first = publisher.publish(Publish("replay", (message,)))
        assert first["batchId"] == message.sequence
        assert [m["i"] for m in first["messages"]] == [message.message_id]
        assert [field for field, _ in published] == ["onMessageBatch"]
        with pytest.raises(DuplicateBatch):
            publisher.publish(Publish("replay", (message,)))
        assert len(published) == 1  # the replay was not published to any subscriber
    finally:
        del realtime.publish


def test_a_forged_signature_is_rejected(served):
    principal = served.local.fanout_principal
    forger = AppSyncPublisher(served.outputs["graphqlUrl"], served.outputs["region"],
                              credentials=Credentials(principal.access_key_id, "not-the-secret"))
    message = StreamMessage("forged", "01JFORGED000000000000000000", "eve", "hi", "2026-11-28T03:00:00.000Z",
                            "1".zfill(40))
    from fanout_consumer.publisher import PublishError

    with pytest.raises(PublishError, match="401"):
        forger.publish(Publish("forged", (message,)))
