"""Attendees signed in by the event platform (chatstack:attendeeAuth=oidc) on the local stack:
the dev stack served with `--config attendeeAuth=oidc`, tokens from `chatstack attendee-token`,
real gql clients over HTTP and the real-time WebSocket, refusals as AppSync's OPENID_CONNECT
mode makes them."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError

from chatstack import cli
from chatstack.local.oidc import AttendeeTokenError, attendee_token, mint
from chatstack.local.stack import LocalStack
from chatstack.project import find_project
from tests.harness import served_stack
from tests.scenarios.test_end_to_end import BY_SENDER, GET_MESSAGES, fresh_room, run, subscribe
from tests.support import (
    LoopThread,
    receive,
    run_async,
    sign_up_and_in,
    start_frame,
)

AUTH_TTL = 600
OVERRIDES = {"attendeeAuth": "oidc", "oidcAuthTtlSeconds": str(AUTH_TTL), "oidcClientId": "chat-web"}
SEND = gql("""
mutation Send($roomId: ID!, $message: String!) {
  sendMessage(roomId: $roomId, message: $message) { roomId messageId sender senderName message }
}""")
ON_SEND = gql("""
subscription OnSend($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId sender senderName message } }""")
ON_SEND_TEXT = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId message } }"
PUBLISH = gql("""
mutation P($roomId: ID!, $messages: [BatchedMessageInput!]!) { publishBatch(roomId: $roomId, messages: $messages) {
  roomId } }""")


class Served:
    def __init__(self, local: LocalStack, loop: LoopThread, outputs: dict, staff: dict):
        self.local, self.loop, self.outputs, self.staff = local, loop, outputs, staff

    @property
    def state_dir(self):
        return find_project().state_dir / "dev"


@pytest.fixture(scope="module")
def served():
    # What `chatstack local --stack dev --config attendeeAuth=oidc ...` builds.
    with served_stack("dev", keepalive_seconds=0.5, config_overrides=cli_overrides()) as stack:
        staff = sign_up_and_in(stack.outputs, "stage-manager", groups=("moderators",))
        yield Served(stack.local, stack.loop, stack.outputs, staff)


def cli_overrides() -> dict[str, str]:
    from chatstack.config import parse_config_overrides

    return parse_config_overrides([f"{k}={v}" for k, v in OVERRIDES.items()])


def cli_token(capsys, *args: str) -> str:
    """`chatstack attendee-token --stack dev ...`, as a platform engineer runs it."""
    capsys.readouterr()
    assert cli.main(["attendee-token", "--stack", "dev", *args]) == 0
    return capsys.readouterr().out.strip()


def http(served, token: str) -> Client:
    return Client(transport=AIOHTTPTransport(url=served.outputs["graphqlUrl"], headers={"Authorization": token}))


def live(served, token: str) -> Client:
    url = served.outputs["realtimeUrl"]
    return Client(transport=AppSyncWebsocketsTransport(url=url, auth=AppSyncJWTAuthentication(
        host=url.split("/")[2], jwt=token)))


def test_the_local_issuer_serves_discovery_and_jwks_on_the_stack_port(served):
    issuer = served.outputs["oidcIssuer"]
    assert issuer == served.outputs["graphqlUrl"].rsplit("/graphql", 1)[0] + "/oidc"
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=5) as response:
        discovery = json.load(response)
    assert discovery["issuer"] == issuer  # discovery must name exactly the tokens' iss
    with urllib.request.urlopen(discovery["jwks_uri"], timeout=5) as response:
        jwks = json.load(response)
    assert [k["kty"] for k in jwks["keys"]] == ["RSA"] and "d" not in jwks["keys"][0]  # public half only
    key_file = served.state_dir / "oidc-signing-key.pem"
    assert key_file.stat().st_mode & 0o077 == 0  # the signing key is the owner's alone


def test_an_attendee_token_queries_sends_as_its_sub_and_subscribes(served, capsys):
    token = cli_token(capsys, "--sub", "attendee-1", "--name", "Ann Example")
    listener = cli_token(capsys, "--sub", "attendee-2", "--name", "Bo")
    room = fresh_room("oidc")

    async def scenario():
        async with live(served, listener) as ws, http(served, token) as client:
            events = subscribe(ws, ON_SEND, {"roomId": room})
            first = asyncio.ensure_future(events.__anext__())
            await served.loop.arun(served.local.appsync.realtime.wait_for_subscriptions(
                1, "onSendMessage", arguments={"roomId": room}))
            sent = (await run(client, SEND, {"roomId": room, "message": " hello from the audience "}))["sendMessage"]
            received = await asyncio.wait_for(first, 5)
            history = await run(client, GET_MESSAGES, {"roomId": room})
            await events.aclose()
            return sent, received, history

    sent, received, history = run_async(scenario())
    assert (sent["sender"], sent["senderName"], sent["message"]) == ("attendee-1", "Ann Example",
                                                                      "hello from the audience")
    assert received == {"onSendMessage": sent}
    assert [m["messageId"] for m in history["getMessages"]["items"]] == [sent["messageId"]]
    stored = served.local.dynamodb.get_item(TableName=served.outputs["tableName"],
                                            Key={"pk": {"S": f"ROOM#{room}"}, "sk": {"S": f"MSG#{sent['messageId']}"}})
    assert stored["Item"]["sender"] == {"S": "attendee-1"}
    assert stored["Item"]["gsi1pk"] == {"S": "SENDER#attendee-1"}


def test_moderator_rights_come_from_the_configured_claim(served, capsys):
    moderator = cli_token(capsys, "--sub", "host-1", "--name", "Host", "--moderator")
    attendee = cli_token(capsys, "--sub", "attendee-3", "--name", "Cy")

    async def by_sender(token):
        async with http(served, token) as client:
            return await run(client, BY_SENDER, {"sender": "attendee-1"})

    assert "getMessagesBySender" in run_async(by_sender(moderator))
    with pytest.raises(TransportQueryError) as refused:
        run_async(by_sender(attendee))
    assert refused.value.errors[0]["errorType"] == "Unauthorized"


def test_staff_still_sign_in_with_cognito_and_attendees_cannot_call_backend_fields(served, capsys):
    room = fresh_room("staff")
    attendee = cli_token(capsys, "--sub", "attendee-4", "--name", "Di")

    async def scenario():
        async with http(served, served.staff["id"]) as staff:
            sent = (await run(staff, SEND, {"roomId": room, "message": "doors open"}))["sendMessage"]
        async with http(served, attendee) as client:
            with pytest.raises(TransportQueryError) as refused:
                await run(client, PUBLISH, {"roomId": room, "messages": []})
        return sent, refused.value.errors[0]

    sent, error = run_async(scenario())
    assert sent["senderName"] == "stage-manager" and sent["sender"] != "stage-manager"
    assert error["errorType"] == "Unauthorized"  # publishBatch is @aws_iam only


def _forged_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def bad_tokens(served) -> dict[str, str]:
    issuer = served.local.oidc_issuer
    now = time.time()
    return {
        "another key": mint(_forged_key(), issuer=issuer.issuer, sub="x", name="X", claims=issuer.claims),
        "another issuer": issuer.mint("x", "X", extra={"iss": "https://login.events.example.com"}),
        "another client": issuer.mint("x", "X", extra={"aud": "someone-else"}),
        "expired": issuer.mint("x", "X", now=now - 120, ttl_seconds=60),
        "past the auth TTL": issuer.mint("x", "X", auth_time=now - AUTH_TTL - 5),
        "past the iat TTL": issuer.mint("x", "X", now=now - 3600 - 5, ttl_seconds=7200),
        # exp must be a finite JSON number (RFC 7519 NumericDate): else it would never expire
        "exp a string": issuer.mint("x", "X", extra={"exp": str(int(now) + 600)}),
        "exp infinite": issuer.mint("x", "X", extra={"exp": float("inf")}),
        "exp NaN": issuer.mint("x", "X", extra={"exp": float("nan")}),
        "exp a boolean": issuer.mint("x", "X", extra={"exp": True}),
        "iat a string": issuer.mint("x", "X", extra={"iat": str(int(now))}),
    }


def test_bad_attendee_tokens_are_refused_over_http(served):
    async def post(token):
        async with aiohttp.ClientSession() as session, session.post(
                served.outputs["graphqlUrl"], headers={"Authorization": token},
                json={"query": "query { getMessages(roomId: \"lobby\") { items { messageId } } }"}) as response:
            return response.status, await response.json()

    for reason, token in bad_tokens(served).items():
        status, body = run_async(post(token))
        assert status == 401, reason
        assert body["errors"][0]["errorType"] == "UnauthorizedException", reason


def _connect_url(served, token: str) -> str:
    header = base64.b64encode(json.dumps({"host": "local", "Authorization": token}).encode()).decode()
    return f"{served.outputs['realtimeUrl']}?header={header}&payload=e30="


def test_bad_attendee_tokens_are_refused_on_the_websocket(served, capsys):
    good = cli_token(capsys, "--sub", "attendee-5", "--name", "Ed")

    async def connect(token):
        async with aiohttp.ClientSession() as session, session.ws_connect(
                _connect_url(served, token), protocols=("graphql-ws",)) as ws:
            await ws.send_json({"type": "connection_init"})
            return await receive(ws)

    async def start_with(token):
        """A connection opened with a good token, then a subscription `start` authorised by `token`."""
        async with aiohttp.ClientSession() as session, session.ws_connect(
                _connect_url(served, good), protocols=("graphql-ws",)) as ws:
            await ws.send_json({"type": "connection_init"})
            assert (await receive(ws))["type"] == "connection_ack"
            await ws.send_str(start_frame("s1", ON_SEND_TEXT, {"roomId": "lobby"}, token))
            return await receive(ws)

    for reason, token in bad_tokens(served).items():
        refused = run_async(connect(token))
        assert refused["type"] == "connection_error", reason
        assert refused["payload"]["errors"][0]["errorType"] == "UnauthorizedException", reason
        started = run_async(start_with(token))
        assert started["type"] == "error" and started["id"] == "s1", reason
        assert started["payload"]["errors"][0]["errorType"] == "UnauthorizedException", reason
    assert run_async(start_with(good))["type"] == "start_ack"


def test_attendee_token_is_a_function_for_load_tests_and_names_what_is_missing(served, tmp_path):
    token = attendee_token(served.state_dir, "load-1", "Load One", ttl_seconds=60)
    identity = served.local.appsync.verify(token)
    assert (identity.sub, identity.claims["name"], identity.claims["aud"]) == ("load-1", "Load One", "chat-web")
    with pytest.raises(AttendeeTokenError, match="attendeeAuth=oidc"):
        attendee_token(tmp_path, "x", "X")
    with pytest.raises(AttendeeTokenError, match="--ttl"):
        attendee_token(served.state_dir, "x", "X", ttl_seconds=0)


@pytest.mark.parametrize(("claimed", "shown"), [
    ("\u202eevil\u202c", "evil"),  # a right-to-left override would show it reversed
    ("Ann\u200b\u200dExample", "AnnExample"),  # zero-width characters
    ("\u2066Bo\u2069\u0007", "Bo"),  # isolates and a control character
    ("\u200f\u200e", "attendee-invisible"),  # nothing visible: the stable id
    ("\u3164\u115f", "attendee-invisible"),  # Hangul fillers: a blank-looking name
    ("Ann\U000e0041\U000e007f", "Ann"),  # tag characters (hidden text), beyond the BMP
    ("Zo\ufe0f\U000e0100e", "Zoe"),  # variation selectors, both planes
    ("a" + "\U0001d400" * 130, "a" + "\U0001d400" * 63),  # bounded without splitting a character
])
def test_display_names_lose_invisible_and_reordering_characters(served, claimed, shown):
    token = served.local.oidc_issuer.mint("attendee-invisible", claimed)
    room = fresh_room("oidc-names")

    async def send():
        async with http(served, token) as client:
            return (await run(client, SEND, {"roomId": room, "message": "who am I"}))["sendMessage"]

    assert run_async(send())["senderName"] == shown


def test_a_subscription_ends_at_the_auth_and_iat_ttls_as_at_exp(served):
    """AppSync's OIDC authTTL and iatTTL are how long a token "is valid after being authenticated" /
    "after it's issued" (AWS::AppSync::GraphQLApi OpenIDConnectConfig): past either, the token is
    as expired, and a subscription it started ends with "Token has expired." as at `exp`
    (this stack: authTTL 600 s, iatTTL 3,600 s; tokens living four hours)."""
    from chatstack.local.oidc import local_token_minter

    minter = local_token_minter(served.state_dir)
    realtime = served.local.appsync.realtime
    sender = minter(sub="ttl-sender", name="Sender")
    now = time.time()
    cases = {  # token, seconds the server's clock moves on (before exp, past one TTL)
        "authTTL": (minter(sub="ttl-auth", name="A", ttl_seconds=4 * 3600), AUTH_TTL + 60),
        "iatTTL": (minter(sub="ttl-iat", name="I", ttl_seconds=4 * 3600, now=now - 3500, auth_time=now), 200),
    }

    async def scenario(token, seconds, room):
        async with aiohttp.ClientSession() as session, session.ws_connect(
                _connect_url(served, token), protocols=("graphql-ws",)) as ws, http(served, sender) as client:
            await ws.send_json({"type": "connection_init"})
            assert (await receive(ws))["type"] == "connection_ack"
            await ws.send_str(start_frame("s", ON_SEND_TEXT, {"roomId": room}, token))
            assert (await receive(ws))["type"] == "start_ack"
            await run(client, SEND, {"roomId": room, "message": "while valid"})
            before = await receive(ws)
            original = realtime.clock
            realtime.clock = lambda: original() + seconds
            try:
                await run(client, SEND, {"roomId": room, "message": "past the TTL"})
                after = await receive(ws)
            finally:
                realtime.clock = original
            return before, after

    for ttl, (token, seconds) in cases.items():
        before, after = run_async(scenario(token, seconds, fresh_room("ttl")))
        assert before["type"] == "data", ttl
        assert after == {"id": "s", "type": "error", "payload": {"errors": [
            {"errorType": "UnauthorizedException", "message": "Token has expired."}]}}, ttl
