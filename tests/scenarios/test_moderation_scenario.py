"""Moderation end to end against the served dev stack (`chatstack local --stack dev`), with
real gql clients: delete (onRoomEvent within 1 s, gone from history), ban (Forbidden,
nothing written, the banned user's onSendMessage closed by invalidation, another room
unaffected), unban, slow mode, blocked terms, and Unauthorized for non-moderators."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest
from gql import gql
from gql.transport.exceptions import TransportQueryError

from tests.scenarios.test_end_to_end import (
    GET_MESSAGES,
    SEND,
    fresh_room,
    http_client,
    run,
    subscribe,
    wait_subscribed,
    ws_client,
)
from tests.support import run_async

DELETE = gql("""
mutation Delete($roomId: ID!, $messageId: ID!) {
  deleteMessage(roomId: $roomId, messageId: $messageId) { roomId messageId sender message deletedAt deletedBy }
}""")
BAN = gql("""
mutation Ban($roomId: ID!, $userId: String!, $durationSeconds: Int, $reason: String) {
  banUser(roomId: $roomId, userId: $userId, durationSeconds: $durationSeconds, reason: $reason) {
    roomId userId reason bannedBy createdAt expiresAt active
  }
}""")
UNBAN = gql("""
mutation Unban($roomId: ID!, $userId: String!) { unbanUser(roomId: $roomId, userId: $userId) { userId active } }""")
SETTINGS = gql("""
mutation Settings($roomId: ID!, $slowModeSeconds: Int, $blockedTerms: [String!], $pinnedMessageId: ID) {
  updateRoomSettings(roomId: $roomId, slowModeSeconds: $slowModeSeconds, blockedTerms: $blockedTerms,
                     pinnedMessageId: $pinnedMessageId) {
    roomId slowModeSeconds blockedTerms pinnedMessage { messageId message } updatedAt
  }
}""")
GET_SETTINGS = gql("""
query GetSettings($roomId: ID!) {
  getRoomSettings(roomId: $roomId) { slowModeSeconds blockedTerms pinnedMessage { messageId sender message } }
}""")
LOG = gql("""
query Log($roomId: ID!) {
  getModerationLog(roomId: $roomId) { items { action actor target reason details createdAt } nextToken }
}""")
ON_ROOM_EVENT = gql("""
subscription OnRoomEvent($roomId: ID!) {
  onRoomEvent(roomId: $roomId) { roomId eventId type messageId userId settings { slowModeSeconds } createdAt }
}""")
ON_SEND = gql("subscription OnSend($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message } }")
REPLY = gql("""
mutation Reply($roomId: ID!, $messageId: ID!, $message: String!) {
  replyToMessage(roomId: $roomId, messageId: $messageId, message: $message) { replyId }
}""")


def sub_of(served, username: str) -> str:
    """The user's stable id (the sender value their messages carry): the ID token's sub."""
    payload = served.token(username).split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


async def error_of(session, document, variables) -> dict:
    with pytest.raises(TransportQueryError) as raised:
        await run(session, document, variables)
    return raised.value.errors[0]


def history(served, room: str) -> list[dict]:
    async def read():
        async with http_client(served, "bob") as session:
            return (await run(session, GET_MESSAGES, {"roomId": room, "limit": 100}))["getMessages"]["items"]

    return run_async(read())


def test_delete_reaches_room_event_subscribers_within_a_second_and_leaves_history(served):
    room = fresh_room("mod-delete")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod, \
                ws_client(served, "bob") as bob_ws:
            kept = (await run(alice, SEND, {"roomId": room, "message": "keep me"}))["sendMessage"]
            doomed = (await run(alice, SEND, {"roomId": room, "message": "delete me"}))["sendMessage"]
            events = subscribe(bob_ws, ON_ROOM_EVENT, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onRoomEvent", room)
            started = time.perf_counter()
            deleted = (await run(mod, DELETE, {"roomId": room, "messageId": doomed["messageId"]}))["deleteMessage"]
            event = (await asyncio.wait_for(first, 5))["onRoomEvent"]
            latency = time.perf_counter() - started
            again = await error_of(mod, DELETE, {"roomId": room, "messageId": doomed["messageId"]})
            return kept, doomed, deleted, event, latency, again

    kept, doomed, deleted, event, latency, again = run_async(scenario())
    assert deleted["messageId"] == doomed["messageId"] and deleted["message"] == ""
    assert deleted["deletedBy"] == sub_of(served, "mod") and deleted["deletedAt"]
    assert event["type"] == "MESSAGE_DELETED" and event["messageId"] == doomed["messageId"]
    assert event["roomId"] == room
    assert latency < 1.0, f"the deletion reached onRoomEvent after {latency:.2f} s"
    assert [m["messageId"] for m in history(served, room)] == [kept["messageId"]]
    assert again["errorType"] == "NotFound"


def test_ban_refuses_writes_closes_the_users_room_subscription_and_unban_restores(served):
    room, other = fresh_room("mod-ban"), fresh_room("mod-ban-other")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod, \
                ws_client(served, "alice") as alice_ws:
            sent = (await run(alice, SEND, {"roomId": room, "message": "before the ban"}))["sendMessage"]
            in_room = subscribe(alice_ws, ON_SEND, {"roomId": room})
            elsewhere = subscribe(alice_ws, ON_SEND, {"roomId": other})
            room_next = asyncio.ensure_future(in_room.__anext__())
            other_next = asyncio.ensure_future(elsewhere.__anext__())
            await wait_subscribed(served, "onSendMessage", room)
            await wait_subscribed(served, "onSendMessage", other)
            alice_id = sent["sender"]
            ban = (await run(mod, BAN, {"roomId": room, "userId": alice_id, "reason": "spam"}))["banUser"]
            # Invalidation completes the subscription: the async iterator ends.
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(room_next, 5)
            refused = await error_of(alice, SEND, {"roomId": room, "message": "while banned"})
            reply_refused = await error_of(alice, REPLY, {"roomId": room, "messageId": sent["messageId"],
                                                           "message": "reply while banned"})
            # Another room: alice still posts and still receives.
            await run(alice, SEND, {"roomId": other, "message": "elsewhere"})
            delivered = (await asyncio.wait_for(other_next, 5))["onSendMessage"]
            lifted = (await run(mod, UNBAN, {"roomId": room, "userId": alice_id}))["unbanUser"]
            after = (await run(alice, SEND, {"roomId": room, "message": "after the unban"}))["sendMessage"]
            log = (await run(mod, LOG, {"roomId": room}))["getModerationLog"]["items"]
            return ban, refused, reply_refused, delivered, lifted, after, log

    ban, refused, reply_refused, delivered, lifted, after, log = run_async(scenario())
    alice, mod = sub_of(served, "alice"), sub_of(served, "mod")
    assert ban["active"] is True and ban["expiresAt"] is None and ban["bannedBy"] == mod
    assert refused["errorType"] == "Forbidden" and reply_refused["errorType"] == "Forbidden"
    assert delivered["message"] == "elsewhere"
    assert lifted == {"userId": alice, "active": False}
    assert after["message"] == "after the unban"
    messages = [m["message"] for m in history(served, room)]
    assert "while banned" not in messages and messages == ["after the unban", "before the ban"]
    assert [(e["action"], e["actor"], e["target"]) for e in log] == [
        ("unbanUser", mod, alice), ("banUser", mod, alice)]
    assert log[1]["reason"] == "spam"


def test_a_banned_moderator_cannot_lift_their_own_ban(served):
    """Issue 30: a ban of a moderator holds until another moderator lifts it."""
    room = fresh_room("mod-self-unban")

    async def scenario():
        async with http_client(served, "mod") as mod, http_client(served, "mod2") as mod2:
            mod_id = (await run(mod, SEND, {"roomId": room, "message": "a moderator speaks"}))["sendMessage"]["sender"]
            await run(mod2, BAN, {"roomId": room, "userId": mod_id, "reason": "rogue"})
            self_unban = await error_of(mod, UNBAN, {"roomId": room, "userId": mod_id})
            still_banned = await error_of(mod, SEND, {"roomId": room, "message": "I unbanned myself"})
            lifted = (await run(mod2, UNBAN, {"roomId": room, "userId": mod_id}))["unbanUser"]
            after = (await run(mod, SEND, {"roomId": room, "message": "back"}))["sendMessage"]
            return self_unban, still_banned, lifted, after

    self_unban, still_banned, lifted, after = run_async(scenario())
    assert self_unban["errorType"] == "Forbidden" and "another moderator must" in self_unban["message"]
    assert still_banned["errorType"] == "Forbidden"
    assert lifted["active"] is False and after["message"] == "back"


def test_deleting_a_pinned_message_unpins_it(served):
    """Issue 30: deleted while pinned, its text must not live on in the room's settings."""
    room = fresh_room("mod-pin-delete")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod, \
                ws_client(served, "bob") as bob_ws:
            pinned = (await run(alice, SEND, {"roomId": room, "message": "pin me then delete me"}))["sendMessage"]
            await run(mod, SETTINGS, {"roomId": room, "pinnedMessageId": pinned["messageId"], "slowModeSeconds": 3})
            before = (await run(alice, GET_SETTINGS, {"roomId": room}))["getRoomSettings"]
            events = subscribe(bob_ws, ON_ROOM_EVENT, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onRoomEvent", room)
            await run(mod, DELETE, {"roomId": room, "messageId": pinned["messageId"]})
            event = (await asyncio.wait_for(first, 5))["onRoomEvent"]
            after = (await run(alice, GET_SETTINGS, {"roomId": room}))["getRoomSettings"]
            return before, event, after

    before, event, after = run_async(scenario())
    assert before["pinnedMessage"]["message"] == "pin me then delete me"
    assert event["type"] == "MESSAGE_DELETED" and event["settings"]["slowModeSeconds"] == 3
    assert after["pinnedMessage"] is None and after["slowModeSeconds"] == 3  # the rest of the settings kept


def test_concurrent_moderation_actions_do_not_hold_every_worker(served):
    """Issue 30: each action's room event is a call to the endpoint itself (publishRoomEvent, IAM);
    eight at once used to hold every resolver worker until those self-calls timed out (10 s) and
    failed. Backend calls run on workers of their own: every action succeeds and is announced."""
    rooms = [fresh_room(f"mod-burst-{n}") for n in range(8)]

    async def scenario():
        async with http_client(served, "mod") as mod, ws_client(served, "bob") as bob_ws:
            events = subscribe(bob_ws, ON_ROOM_EVENT, {"roomId": rooms[0]})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onRoomEvent", rooms[0])
            results = await asyncio.gather(*(run(mod, SETTINGS, {"roomId": room, "slowModeSeconds": n + 1})
                                             for n, room in enumerate(rooms)), return_exceptions=True)
            event = (await asyncio.wait_for(first, 10))["onRoomEvent"]
            return results, event

    results, event = run_async(scenario())
    assert [r["updateRoomSettings"]["slowModeSeconds"] for r in results] == list(range(1, 9)), results
    assert event["type"] == "SETTINGS_UPDATED" and event["settings"]["slowModeSeconds"] == 1


@pytest.mark.parametrize(("message", "refused"), [
    ("ＳＰＯＩＬＥＲ: he dies", True),  # full-width
    ("sp\u200doiler ahead", True),  # a zero-width joiner inside
    ("spo\u0301iler ahead", True),  # a combining accent
    ("sp\U000e0020oi\u3164ler ahead", True),  # a tag character and a Hangul filler inside
    ("spoi\u0001ler ahead", True),  # a control character inside
    ("\u0455\u0440\u043eil\u0435r ahead", True),  # Cyrillic look-alikes of s, p, o, e
    ("spoilers are fine", False),  # whole words only, as before
    ("这是剧透内容", True),  # a CJK term inside text written without spaces
    ("你好，世界", False),  # a caseless message is not blocked wholesale
    ("🎉🎉🎉", False),
])
def test_blocked_terms_match_unicode_variants_and_cjk(served, message, refused):
    """Issue 30: terms and text are folded the same way (NFKD, case, marks, ignorables, look-alikes)."""
    room = fresh_room("mod-terms")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod:
            await run(mod, SETTINGS, {"roomId": room, "blockedTerms": ["spoiler", "剧透"]})
            try:
                await run(alice, SEND, {"roomId": room, "message": message})
            except TransportQueryError as error:
                return error.errors[0]["errorType"]
            return None

    assert run_async(scenario()) == ("Blocked" if refused else None)


def test_blocked_terms_are_stored_as_they_are_matched(served):
    """Terms are folded when a moderator sets them (the stored form is what is matched, so a send
    folds only its message); a term of separators alone matches nothing and is refused."""
    room = fresh_room("mod-terms-stored")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod:
            stored = (await run(mod, SETTINGS, {"roomId": room, "blockedTerms": [
                "ＳＰＯＩＬＥＲ", "Stra\u00dfe", "buy  n\u043ew", "剧 透"]}))["updateRoomSettings"]["blockedTerms"]
            refused = {}
            for message in ("strasse gesperrt", "BUY NOW", "这是剧透内容", "spoiler!"):
                refused[message] = (await error_of(alice, SEND, {"roomId": room, "message": message}))["errorType"]
            empty = await error_of(mod, SETTINGS, {"roomId": room, "blockedTerms": ["!!!"]})
            return stored, refused, empty

    stored, refused, empty = run_async(scenario())
    assert stored == ["spoiler", "strasse", "buy now", "剧透"]
    assert set(refused.values()) == {"Blocked"}, refused
    assert empty["errorType"] == "ValidationError" and "no letter or digit" in empty["message"]


def test_timeout_ends_by_itself(served):
    room = fresh_room("mod-timeout")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod:
            # expiresAt is whole epoch seconds (the TTL attribute): a 1 s timeout can end 0.1 s after it
            # began, so 3 s leaves the "during" send 2 s at least on a loaded machine.
            ban = (await run(mod, BAN, {"roomId": room, "userId": sub_of(served, "alice"),
                                        "durationSeconds": 3}))["banUser"]
            refused = await error_of(alice, SEND, {"roomId": room, "message": "during"})
            await asyncio.sleep(3.1)
            after = (await run(alice, SEND, {"roomId": room, "message": "after"}))["sendMessage"]
            return ban, refused, after

    ban, refused, after = run_async(scenario())
    assert ban["expiresAt"] and refused["errorType"] == "Forbidden" and after["message"] == "after"


def test_slow_mode_blocked_terms_and_pin(served):
    room = fresh_room("mod-slow")

    async def scenario():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod, \
                ws_client(served, "bob") as bob_ws:
            events = subscribe(bob_ws, ON_ROOM_EVENT, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await wait_subscribed(served, "onRoomEvent", room)
            settings = (await run(mod, SETTINGS, {"roomId": room, "slowModeSeconds": 5,
                                                  "blockedTerms": ["Spoiler", "  buy now "]}))["updateRoomSettings"]
            event = (await asyncio.wait_for(first, 5))["onRoomEvent"]
            one = (await run(alice, SEND, {"roomId": room, "message": "first"}))["sendMessage"]
            slow = await error_of(alice, SEND, {"roomId": room, "message": "second too soon"})
            moderator_exempt = (await run(mod, SEND, {"roomId": room, "message": "mods are exempt"}))["sendMessage"]
            blocked = await error_of(mod, SEND, {"roomId": room, "message": "SPOILER: he dies"})
            phrase = await error_of(mod, SEND, {"roomId": room, "message": "Buy... now!"})
            not_whole_word = (await run(mod, SEND, {"roomId": room, "message": "spoilers are fine"}))["sendMessage"]
            await asyncio.sleep(5.05)
            two = (await run(alice, SEND, {"roomId": room, "message": "second"}))["sendMessage"]
            pinned = (await run(mod, SETTINGS, {"roomId": room, "pinnedMessageId": one["messageId"]}))
            read = (await run(alice, GET_SETTINGS, {"roomId": room}))["getRoomSettings"]
            return settings, event, slow, moderator_exempt, blocked, phrase, not_whole_word, two, pinned, read

    settings, event, slow, exempt, blocked, phrase, not_whole_word, two, pinned, read = run_async(scenario())
    assert settings["slowModeSeconds"] == 5 and settings["blockedTerms"] == ["spoiler", "buy now"]
    assert event["type"] == "SETTINGS_UPDATED" and event["settings"]["slowModeSeconds"] == 5
    assert slow["errorType"] == "SlowMode" and "send again in" in slow["message"]
    assert slow["errorInfo"]["retryAfterSeconds"] in (4, 5)
    assert exempt["message"] == "mods are exempt"
    assert blocked["errorType"] == "Blocked" and phrase["errorType"] == "Blocked"
    assert not_whole_word["message"] == "spoilers are fine" and two["message"] == "second"
    assert pinned["updateRoomSettings"]["pinnedMessage"]["message"] == "first"
    assert read == {"slowModeSeconds": 5, "blockedTerms": ["spoiler", "buy now"],
                    "pinnedMessage": {"messageId": pinned["updateRoomSettings"]["pinnedMessage"]["messageId"],
                                      "sender": sub_of(served, "alice"), "message": "first"}}
    messages = [m["message"] for m in history(served, room)]
    assert "second too soon" not in messages and "SPOILER: he dies" not in messages


@pytest.mark.parametrize("document, variables", [
    (DELETE, {"roomId": "r1", "messageId": "m1"}),
    (BAN, {"roomId": "r1", "userId": "bob"}),
    (UNBAN, {"roomId": "r1", "userId": "bob"}),
    (SETTINGS, {"roomId": "r1", "slowModeSeconds": 10}),
    (LOG, {"roomId": "r1"}),
])
def test_non_moderators_get_unauthorized_and_nothing_changes(served, document, variables):
    async def scenario():
        async with http_client(served, "alice") as alice:
            return await error_of(alice, document, variables)

    error = run_async(scenario())
    assert error["errorType"] == "Unauthorized"
    assert served.local.dynamodb.get_item(
        TableName=served.outputs["tableName"], Key={"pk": {"S": "ROOM#r1#USER#bob"}, "sk": {"S": "BAN"}}
    ).get("Item") is None
