"""Every way a token can be wrong, rejected on all three doors: POST /graphql (401
UnauthorizedException), the WebSocket handshake (`connection_error`, then close) and a `start`
on an authenticated connection (`error` with the subscription id).

Tokens are real wherever possible: issued by the served stack's local Cognito (a second pool
and a second client are created in the same moto), tampered with after issue, re-signed with
the stack's own key with an expiry in the past, or minted with the private key that ships
inside moto (which anyone has: the local stack must not trust it). test_auth_and_scalars.py covers the
verifier's claim checks one by one with a locally generated key.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import aiohttp
import pytest
from joserfc import jwk
from joserfc import jwt as jose_jwt
from moto.utilities.utils import load_resource

from appsync_local.server.auth import EXPIRED, MISSING_HEADER, NOT_AUTHORIZED, UNPARSEABLE
from tests.support import PASSWORD, cognito_client, realtime_url, receive, run_async, start_frame

ON_SEND = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message } }"
QUERY = '{ getMessages(roomId: "matrix") { nextToken } }'


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def tamper_claims(token: str, **changes) -> str:
    """Same header and signature, edited payload (e.g. a user granting itself a group)."""
    header, _payload, signature = token.split(".")
    claims = {**_claims(token), **changes}
    return ".".join([header, _b64url(json.dumps(claims).encode()), signature])


def tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0xFF
    return ".".join([header, payload, _b64url(bytes(raw))])


def mint_with_moto_key(token: str, kid: str = "dummy", **changes) -> str:
    """A real token's claims, changed, signed with the private key bundled in the moto package."""
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jose_jwt.encode({"kid": kid, "alg": "RS256"}, {**_claims(token), **changes}, key)


def sign_in(cognito, client_id: str, username: str) -> dict[str, str]:
    result = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}


@pytest.fixture(scope="module")
def tokens(served) -> dict[str, tuple[str | None, str]]:
    """case -> (token, the UnauthorizedException message AppSync answers with)."""
    outputs = served.outputs
    cognito = cognito_client(outputs)
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # Another pool in the same moto, with the same username: same signing key, other issuer.
    other_pool = cognito.create_user_pool(PoolName="matrix-other-pool")["UserPool"]["Id"]
    other_pool_client = cognito.create_user_pool_client(
        UserPoolId=other_pool, ClientName="other", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
    cognito.sign_up(ClientId=other_pool_client, Username="alice", Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=other_pool, Username="alice")
    from_other_pool = sign_in(cognito, other_pool_client, "alice")
    # Another app client of the stack's own pool: right issuer, wrong audience.
    other_client = cognito.create_user_pool_client(
        UserPoolId=outputs["userPoolId"], ClientName="matrix-other-client", ExplicitAuthFlows=flows,
    )["UserPoolClient"]["ClientId"]
    from_other_client = sign_in(cognito, other_client, "alice")
    alice = served.users["alice"]
    stack_key = served.local.signing_key
    past = int(time.time()) - 60
    return {
        "no token": (None, MISSING_HEADER),
        "empty token": ("", MISSING_HEADER),
        "not a JWT": ("not-a-jwt", UNPARSEABLE),
        "tampered claims (self-granted moderators)": (
            tamper_claims(alice["id"], **{"cognito:groups": ["moderators"]}), NOT_AUTHORIZED),
        "tampered signature": (tamper_signature(alice["id"]), NOT_AUTHORIZED),
        "id token from another pool": (from_other_pool["id"], NOT_AUTHORIZED),
        "access token from another pool": (from_other_pool["access"], NOT_AUTHORIZED),
        "id token from another client": (from_other_client["id"], NOT_AUTHORIZED),
        "access token from another client": (from_other_client["access"], NOT_AUTHORIZED),
        "expired id token": (stack_key.sign({**_claims(alice["id"]), "exp": past, "iat": past - 3600}), EXPIRED),
        "expired access token": (
            stack_key.sign({**_claims(alice["access"]), "exp": past, "iat": past - 3600}), EXPIRED),
        "minted with moto's bundled key (self-granted moderators)": (
            mint_with_moto_key(alice["id"], **{"cognito:groups": ["moderators"]}), NOT_AUTHORIZED),
        "minted with moto's bundled key under the stack's kid": (
            mint_with_moto_key(alice["access"], kid=stack_key.kid), NOT_AUTHORIZED),
    }


CASES = [
    "no token", "empty token", "not a JWT", "tampered claims (self-granted moderators)", "tampered signature",
    "id token from another pool", "access token from another pool", "id token from another client",
    "access token from another client", "expired id token", "expired access token",
    "minted with moto's bundled key (self-granted moderators)", "minted with moto's bundled key under the stack's kid",
]


async def _http(session, served, token) -> tuple[int, dict]:
    headers = {} if token is None else {"Authorization": token}
    response = await session.post(served.outputs["graphqlUrl"], json={"query": QUERY}, headers=headers)
    return response.status, await response.json()


async def _ws_connect(session, served, token) -> tuple[dict, aiohttp.WSMsgType]:
    ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], token), protocols=("graphql-ws",))
    message = await receive(ws)
    closed = await asyncio.wait_for(ws.receive(), 5)
    return message, closed.type


async def _ws_start(session, served, token, subscription_id) -> dict:
    ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], served.token("alice")),
                                  protocols=("graphql-ws",))
    await ws.send_json({"type": "connection_init"})
    assert (await receive(ws))["type"] == "connection_ack"
    await ws.send_str(start_frame(subscription_id, ON_SEND, {"roomId": "matrix"}, token))
    answer = await receive(ws)
    # The connection is still usable: a start with a good token is acknowledged.
    await ws.send_str(start_frame("good", ON_SEND, {"roomId": "matrix"}, served.token("alice")))
    follow_up = await receive(ws)
    await ws.close()
    assert follow_up == {"id": "good", "type": "start_ack"}
    return answer


@pytest.mark.parametrize("case", CASES)
def test_a_bad_token_is_rejected_on_http_ws_connect_and_ws_start(served, tokens, case):
    token, message = tokens[case]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            return await asyncio.gather(
                _http(session, served, token),
                _ws_connect(session, served, token),
                _ws_start(session, served, token, "sub-" + case),
            )

    (status, body), (connect_message, closed), start_answer = run_async(scenario())
    assert status == 401
    assert body == {"errors": [{"errorType": "UnauthorizedException", "message": message}]}
    assert connect_message == {"type": "connection_error", "payload": {"errors": [
        {"errorType": "UnauthorizedException", "message": message, "errorCode": 401}]}}
    assert closed in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert start_answer == {"id": "sub-" + case, "type": "error", "payload": {"errors": [
        {"errorType": "UnauthorizedException", "message": message}]}}


def test_the_same_real_tokens_are_refused_once_their_expiry_passes(served):
    """Moto's own tokens, unmodified, judged two hours later (the verifier's injectable clock)."""
    verifier = served.local.cognito_verifier
    alice = served.users["alice"]
    assert _claims(alice["id"])["exp"] < time.time() + 2 * 3600

    async def scenario():
        async with aiohttp.ClientSession() as session:
            return await asyncio.gather(
                _http(session, served, alice["id"]),
                _http(session, served, alice["access"]),
                _ws_connect(session, served, alice["id"]),
            )

    original = verifier.clock
    verifier.clock = lambda: original() + 2 * 3600
    try:
        (id_status, id_body), (access_status, access_body), (connect_message, _closed) = run_async(scenario())
    finally:
        verifier.clock = original
    assert (id_status, access_status) == (401, 401)
    assert id_body["errors"][0] == access_body["errors"][0] == {"errorType": "UnauthorizedException",
                                                                 "message": EXPIRED}
    assert connect_message["payload"]["errors"][0]["message"] == EXPIRED


def test_the_control_tokens_are_accepted_everywhere(served):
    """The matrix proves rejection only if the same doors open for the stack's own tokens."""
    async def scenario():
        async with aiohttp.ClientSession() as session:
            results = []
            for token in (served.users["alice"]["id"], served.users["alice"]["access"]):
                results.append(await _http(session, served, token))
                ws = await session.ws_connect(realtime_url(served.outputs["realtimeUrl"], token),
                                              protocols=("graphql-ws",))
                await ws.send_json({"type": "connection_init"})
                results.append(await receive(ws))
                await ws.send_str(start_frame("ok", ON_SEND, {"roomId": "matrix"}, token))
                results.append(await receive(ws))
                await ws.close()
            return results

    results = run_async(scenario())
    for status_and_body in (results[0], results[3]):
        assert status_and_body[0] == 200 and "errors" not in status_and_body[1]
    for ack in (results[1], results[4]):
        assert ack["type"] == "connection_ack"
    for started in (results[2], results[5]):
        assert started == {"id": "ok", "type": "start_ack"}
