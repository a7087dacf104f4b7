"""Subscription.onSendMessage's resolver: per-message stacks open every room; batched stacks
only the rooms of chatstack:perMessageRooms, refusing the rest with a clear error."""

from __future__ import annotations

import pytest

from appsync_local.executor import LocalResolverRuntime
from components.chat_api import resolver_environment
from tests.appsync_local.conftest import TABLE, user

ALICE = user("alice")


def subscribe(runtime, room: str):
    return runtime.resolve("Subscription", "onSendMessage", arguments={"roomId": room}, identity=ALICE)


@pytest.fixture
def batched(manifest, dynamodb, clock, ids) -> LocalResolverRuntime:
    env = resolver_environment(TABLE, 3600, None, per_message_rooms=("backstage", "vip-lounge"))
    return LocalResolverRuntime(manifest, env, dynamodb, clock=clock, id_factory=ids)


def test_per_message_stacks_open_every_room(runtime):
    for room in ("stage", "backstage", "any-room"):
        assert subscribe(runtime, room).errors == []


def test_batched_stacks_refuse_rooms_not_listed_naming_the_batched_subscription(batched):
    result = subscribe(batched, "stage")
    [error] = result.errors
    assert error.error_type == "BatchedRoom"
    assert 'onMessageBatch(roomId: "stage")' in error.message and "chatstack:perMessageRooms" in error.message
    assert error.error_info == {"roomId": "stage", "subscribeTo": "onMessageBatch"}


def test_batched_stacks_open_the_listed_small_rooms(batched):
    assert subscribe(batched, "backstage").errors == []
    assert subscribe(batched, "vip-lounge").errors == []


def test_a_batched_stack_without_listed_rooms_refuses_every_room(manifest, dynamodb, clock, ids):
    env = resolver_environment(TABLE, 3600, None, per_message_rooms=())
    runtime = LocalResolverRuntime(manifest, env, dynamodb, clock=clock, id_factory=ids)
    assert [e.error_type for e in subscribe(runtime, "backstage").errors] == ["BatchedRoom"]
