"""The JavaScript clients front ends use, unmodified, run by Node against served local stacks:
aws-amplify v6 (Auth SRP sign-in and refresh through `userPoolEndpoint`, generateClient
query/mutation/subscription) over `--tls`, and Apollo Client with aws-appsync-auth-link +
aws-appsync-subscription-link over plain ws:// and over wss://, onSendMessage and a
batched stack's onMessageBatch. `make install` installs their pinned versions here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from chatstack.local.session import LOCAL_PASSWORD, sign_up_and_in
from chatstack.local.stack import LocalStack
from chatstack.offline.evaluation import evaluate_program
from chatstack.project import read_stack_config
from tests.conftest import run_stack
from tests.harness import served_stack
from tests.support import LoopThread, ulid_time

CLIENTS = Path(__file__).resolve().parent
NODE = shutil.which("node")



@pytest.fixture(scope="module", autouse=True)
def installed_clients() -> None:
    assert NODE is not None, "these tests need Node 20 (node on PATH)"
    assert (CLIENTS / "node_modules" / "aws-amplify").is_dir(), "run `make install` (installs tests/clients)"


@dataclass
class Served:
    local: LocalStack
    loop: LoopThread
    outputs: dict
    outputs_path: Path

    def subscribed(self, field: str, room: str) -> bool:
        return bool(self.local.appsync.realtime.subscriptions(field, {"roomId": room}))


def _serve(stack: str, run, tmp_dir: Path, **options) -> Iterator[Served]:
    with served_stack(stack, outputs_dir=tmp_dir, run=run, keepalive_seconds=5, **options) as served:
        yield Served(served.local, served.loop, served.outputs, served.outputs_path)


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory) -> Iterator[Served]:
    """`chatstack local --stack dev --tls`."""
    yield from _serve("dev", run_stack("dev"), tmp_path_factory.mktemp("tls"), tls=True)


@pytest.fixture(scope="module")
def batched_stack(tmp_path_factory) -> Iterator[Served]:
    """The dev stack in batched fan-out mode, plain http/ws."""
    config = read_stack_config("dev")
    config.update({"chatstack:fanOutMode": "batched", "chatstack:flushIntervalMs": "500",
                   "chatstack:perMessageRooms": '["apollo-plain-room"]'})  # a small room: onSendMessage
    yield from _serve("jsbatched", evaluate_program("jsbatched", config=config), tmp_path_factory.mktemp("batched"))


class NodeSession:
    """One client script: JSON lines out, a "go" line in once the server holds the subscription."""

    def __init__(self, script: str, served: Served, **env: str):
        environment = {**os.environ, "CHATSTACK_OUTPUTS": str(served.outputs_path), **env}
        if "tlsCaFile" in served.outputs:
            environment["NODE_EXTRA_CA_CERTS"] = served.outputs["tlsCaFile"]
        self.process = subprocess.Popen([NODE, script], cwd=CLIENTS, env=environment, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: dict[str, dict] = {}

    def until(self, event: str) -> dict:
        for line in self.process.stdout:
            message = json.loads(line)
            self.events[message["event"]] = message
            if message["event"] == "failed":
                raise AssertionError(f"{message['message']}\n{message.get('stack')}\n{self.process.stderr.read()}")
            if message["event"] == event:
                return message
        raise AssertionError(f"exited {self.process.wait()} before {event!r}: {self.process.stderr.read()}")

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def finish(self) -> dict[str, dict]:
        self.until("done")
        assert self.process.wait(timeout=30) == 0
        return self.events

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def _session(script: str, served: Served, field: str, room: str, **env: str) -> dict[str, dict]:
    session = NodeSession(script, served, CHATSTACK_ROOM=room, **env)
    try:
        session.until("subscribing")
        deadline = time.monotonic() + 30
        while not served.subscribed(field, room):  # registered on the server: then "go"
            if session.process.poll() is not None:
                session.until("done")  # raises with what the client reported
            assert time.monotonic() < deadline, f"{script}: no {field} subscription registered within 30 s"
            time.sleep(0.05)
        session.go()
        return session.finish()
    finally:
        session.kill()


def test_amplify_v6_signs_in_with_srp_refreshes_and_subscribes_over_tls(tls_stack):
    served = tls_stack
    assert served.outputs["graphqlUrl"].startswith("https://") and served.outputs["realtimeUrl"].startswith("wss://")
    assert served.outputs["cognitoEndpoint"].startswith("https://")
    sign_up_and_in(served.outputs, "amplify-user")  # sign-up + admin confirm; Amplify signs in itself
    events = _session("amplify_session.mjs", served, "onSendMessage", "amplify-room",
                      CHATSTACK_USERNAME="amplify-user", CHATSTACK_PASSWORD=LOCAL_PASSWORD)
    auth = events["auth"]
    assert auth["isSignedIn"] is True and auth["nextStep"] == "DONE"
    first, refreshed = (jwt.decode(auth[k], options={"verify_signature": False})
                        for k in ("idToken", "refreshedIdToken"))
    assert first["cognito:username"] == refreshed["cognito:username"] == "amplify-user"
    assert refreshed["iat"] > first["iat"]  # a new token, from GetTokensFromRefreshToken
    assert served.local.appsync.verify(auth["refreshedIdToken"]).username == "amplify-user"
    graphql = events["graphql"]
    sent = graphql["sent"]
    assert sent["message"] == "hello from Amplify" and sent["roomId"] == "amplify-room"
    assert graphql["received"] == sent
    assert sent in graphql["history"]["items"]  # the same MessageFields, as the history lists it


@pytest.mark.parametrize("stack", ["tls", "plain"])
def test_apollo_with_the_aws_appsync_links_subscribes_sends_receives_and_queries(stack, tls_stack, batched_stack):
    served = tls_stack if stack == "tls" else batched_stack  # onSendMessage in the batched stack's small room
    token = sign_up_and_in(served.outputs, f"apollo-{stack}")["id"]
    events = _session("apollo_session.mjs", served, "onSendMessage", f"apollo-{stack}-room",
                      CHATSTACK_TOKEN=token, CHATSTACK_SUBSCRIPTION="onSendMessage", CHATSTACK_MESSAGES="2")
    graphql = events["graphql"]
    assert [m["message"] for m in graphql["sent"]] == ["apollo 0", "apollo 1"]
    assert graphql["events"] == graphql["sent"]  # each message once, in order, as the mutation selected it
    history_ids = {m["messageId"] for m in graphql["history"]["items"]}
    assert {m["messageId"] for m in graphql["sent"]} <= history_ids


def test_apollo_receives_a_batched_stacks_on_message_batch(batched_stack):
    served = batched_stack
    token = sign_up_and_in(served.outputs, "apollo-batched")["id"]
    events = _session("apollo_session.mjs", served, "onMessageBatch", "apollo-batch-room",
                      CHATSTACK_TOKEN=token, CHATSTACK_SUBSCRIPTION="onMessageBatch", CHATSTACK_MESSAGES="3")
    graphql = events["graphql"]
    # packed (schema: MessageBatch): ids, text and the sender by index; createdAt is the id's time
    delivered = [(m, batch["senders"][m["s"]]) for batch in graphql["events"] for m in batch["messages"]]
    assert [(m["i"], m["x"], sender["id"], sender["name"], ulid_time(m["i"])) for m, sender in delivered] == [
        (m["messageId"], m["message"], m["sender"], m["senderName"], m["createdAt"]) for m in graphql["sent"]]
    assert all(batch["roomId"] == "apollo-batch-room" for batch in graphql["events"])


@pytest.fixture(scope="module")
def events_stack(tmp_path_factory) -> Iterator[Served]:
    """The dev stack in events fan-out mode over TLS (Amplify derives wss from https)."""
    config = {**read_stack_config("dev"), "chatstack:fanOutMode": "events", "chatstack:flushIntervalMs": "500"}
    yield from _serve("jsevents", evaluate_program("jsevents", config=config), tmp_path_factory.mktemp("events"),
                      tls=True)


def test_amplifys_events_client_receives_every_message_once_in_order_and_cannot_publish(events_stack):
    served = events_stack
    room = "amplify-events-room"
    sign_up_and_in(served.outputs, "events-user")
    sender = sign_up_and_in(served.outputs, "events-sender")["id"]
    session = NodeSession("amplify_events.mjs", served, CHATSTACK_ROOM=room, CHATSTACK_USERNAME="events-user",
                          CHATSTACK_PASSWORD=LOCAL_PASSWORD, CHATSTACK_MESSAGES="5")
    try:
        session.until("subscribing")
        assert served.local.event_api.subscribers(f"/rooms/{room}") == 1  # subscribe_success came after it
        sent = [_send(served, sender, room, f"to amplify {n}") for n in range(5)]
        session.go()
        events = session.finish()["events"]
    finally:
        session.kill()
    delivered = [(m["i"], m["x"]) for event in events["received"] for m in event["messages"]]
    assert delivered == [(m["messageId"], m["message"]) for m in sent]  # once each, in order
    assert all(event["kind"] == "batch" and event["roomId"] == room for event in events["received"])
    assert "refused" in events["published"]  # IAM only: an attendee's token cannot publish


def test_amplifys_events_client_is_refused_a_room_its_user_is_banned_from(events_stack):
    served = events_stack
    room = "amplify-banned-room"
    banned = sign_up_and_in(served.outputs, "events-banned")
    moderator = sign_up_and_in(served.outputs, "events-moderator", groups=("moderators",))["id"]
    user_id = jwt.decode(banned["id"], options={"verify_signature": False})["sub"]
    _graphql(served, moderator, "BanUser", roomId=room, userId=user_id, reason="spam")
    session = NodeSession("amplify_events.mjs", served, CHATSTACK_ROOM=room, CHATSTACK_USERNAME="events-banned",
                          CHATSTACK_PASSWORD=LOCAL_PASSWORD)
    try:
        refused = session.until("refused")
    finally:
        session.kill()
    assert f"you are banned from room {room}" in json.dumps(refused)


def _graphql(served: Served, token: str, name: str, **variables) -> dict:
    import ssl
    import urllib.request

    from chatstack.operations import operation

    request = urllib.request.Request(served.outputs["graphqlUrl"], method="POST",
                                     data=json.dumps({"query": operation(name), "variables": variables}).encode(),
                                     headers={"Authorization": token, "Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=served.outputs["tlsCaFile"])
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        body = json.loads(response.read())
    assert not body.get("errors"), body
    return body["data"]


def _send(served: Served, token: str, room: str, text: str) -> dict:
    return _graphql(served, token, "SendMessage", roomId=room, message=text)["sendMessage"]
