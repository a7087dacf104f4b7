"""JWT verification (a locally generated key, so every claim can be varied) and AppSync scalars."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from graphql import GraphQLError

from appsync_local.server.auth import (
    EXPIRED,
    MISSING_HEADER,
    NOT_AUTHORIZED,
    UNPARSEABLE,
    AuthError,
    CognitoJwtVerifier,
)
from appsync_local.server.graphql_endpoint import GraphQLEndpoint
from appsync_local.server.scalars import ScalarSerializationError

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks() -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def token(key=KEY, kid="k1", **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "s-1", "token_use": "id", "aud": "client-1", "cognito:username": "alice",
            "exp": now + 600, "iat": now, "cognito:groups": ["moderators"]}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def verifier() -> CognitoJwtVerifier:
    return CognitoJwtVerifier(issuer=ISSUER, client_ids=["client-1"], jwks_url="jwks", jwks_loader=lambda _: _jwks())


def test_a_valid_id_token_gives_the_appsync_identity(verifier):
    identity = verifier.verify(token())
    assert identity.username == "alice"
    assert identity.groups == ("moderators",)
    context = identity.as_context("10.0.0.1")
    assert context["sub"] == "s-1" and context["issuer"] == ISSUER and context["sourceIp"] == ["10.0.0.1"]
    assert context["groups"] == ["moderators"] and context["defaultAuthStrategy"] == "ALLOW"


def test_a_valid_access_token_is_accepted(verifier):
    access = token(token_use="access", aud=None, client_id="client-1", username="alice", **{"cognito:username": None})
    assert verifier.verify(access).username == "alice"


def test_a_remembered_token_still_expires_and_a_rejected_one_is_not_remembered():
    now = [time.time()]
    verifier = CognitoJwtVerifier(issuer=ISSUER, client_ids=["client-1"], jwks_url="jwks",
                                  jwks_loader=lambda _: _jwks(), clock=lambda: now[0])
    good = token()
    assert verifier.verify(good).username == "alice"
    assert verifier.verify(good).username == "alice"  # served from the verified-token cache
    now[0] += 601
    with pytest.raises(AuthError) as raised:
        verifier.verify(good)
    assert raised.value.message == EXPIRED
    forged = token(key=OTHER_KEY)
    for _ in range(2):  # a failure is never cached as a success
        with pytest.raises(AuthError):
            verifier.verify(forged)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: "", MISSING_HEADER),
        (lambda: "abc", UNPARSEABLE),
        (lambda: "Bearer " + token(), UNPARSEABLE),
        (lambda: token(key=OTHER_KEY), NOT_AUTHORIZED),
        (lambda: token(kid="unknown"), NOT_AUTHORIZED),
        (lambda: token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"), NOT_AUTHORIZED),
        (lambda: token(aud="other-client"), NOT_AUTHORIZED),
        (lambda: token(token_use="refresh"), NOT_AUTHORIZED),
        (lambda: token(token_use="access", aud=None, client_id="other-client"), NOT_AUTHORIZED),
        (lambda: token(exp=int(time.time()) - 1), EXPIRED),
    ],
)
def test_bad_tokens_are_rejected(verifier, make, message):
    with pytest.raises(AuthError) as raised:
        verifier.verify(make())
    assert raised.value.message == message


@pytest.fixture(scope="module")
def schema():
    from tests.project import PROJECT

    class NoRuntime:
        def has_resolver(self, *_):
            return False

    return GraphQLEndpoint(PROJECT.schema(), NoRuntime()).schema


@pytest.mark.parametrize(
    ("scalar", "good", "bad"),
    [
        ("AWSDateTime", ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123+05:30", "2026-01-01T10:20Z"],
         ["2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "yesterday"]),
        ("AWSDate", ["2026-01-01", "2026-01-01Z", "2026-01-01-07:00"], ["2026-1-1", "2026-01-01T00:00Z"]),
        ("AWSTime", ["12:30", "12:30:15.5", "12:30:15+01:00"], ["25:00", "12"]),
        ("AWSEmail", ["a@example.com"], ["a@", "plain"]),
        ("AWSURL", ["https://example.com/x", "ftp://h"], ["example.com", "/relative"]),
        ("AWSPhone", ["+1 555-0100", "5550100"], ["phone", "+"]),
        ("AWSIPAddress", ["10.0.0.1", "10.0.0.0/8", "::1"], ["300.1.1.1", "host"]),
    ],
)
def test_string_scalars_validate_input_and_output(schema, scalar, good, bad):
    scalar_type = schema.type_map[scalar]
    for value in good:
        assert scalar_type.parse_value(value) == value
        assert scalar_type.serialize(value) == value
    for value in bad:
        with pytest.raises(GraphQLError):
            scalar_type.parse_value(value)
        with pytest.raises(ScalarSerializationError):
            scalar_type.serialize(value)


def test_json_and_timestamp_scalars(schema):
    json_type, timestamp = schema.type_map["AWSJSON"], schema.type_map["AWSTimestamp"]
    assert json_type.parse_value('{"a": [1, 2]}') == {"a": [1, 2]}  # resolvers get the parsed value
    assert json_type.serialize({"a": 1}) == '{"a":1}'
    with pytest.raises(GraphQLError):
        json_type.parse_value("{broken")
    assert timestamp.parse_value(1700000000) == 1700000000
    assert timestamp.serialize(1700000000.0) == 1700000000
    with pytest.raises(GraphQLError):
        timestamp.parse_value("1700000000")


@pytest.mark.parametrize(
    ("type_name", "field_name", "mode", "groups", "allowed"),
    [
        ("Mutation", "sendMessage", "AMAZON_COGNITO_USER_POOLS", (), True),
        ("Mutation", "sendMessage", "AWS_IAM", (), False),  # Cognito-only (the API's default mode)
        ("Mutation", "replyToMessage", "AWS_IAM", (), False),
        ("Subscription", "onSendMessage", "AWS_IAM", (), False),
        ("Mutation", "publishBatch", "AWS_IAM", (), True),
        ("Mutation", "publishBatch", "AMAZON_COGNITO_USER_POOLS", ("moderators",), False),  # IAM only
        ("Query", "getMessagesBySender", "AMAZON_COGNITO_USER_POOLS", (), False),
        ("Query", "getMessagesBySender", "AMAZON_COGNITO_USER_POOLS", ("moderators",), True),
        ("Query", "getMessagesBySender", "AWS_IAM", (), True),
        ("Message", "message", "AWS_IAM", (), True),
    ],
)
def test_auth_directives_decide_who_may_call_a_field(type_name, field_name, mode, groups, allowed):
    from tests.project import PROJECT

    class NoRuntime:
        def has_resolver(self, *_):
            return False

    endpoint = GraphQLEndpoint(PROJECT.schema(), NoRuntime())
    try:
        parent = endpoint.schema.get_type(type_name)
        assert endpoint.authorized(parent, field_name, groups, mode) is allowed
    finally:
        endpoint.close()


def test_tokens_with_unknown_kids_never_fetch_keys_on_the_request_path():
    """A flood of made-up kids costs one background reload per interval, not a fetch each."""
    fetches = []

    def loader(_url):
        fetches.append(time.monotonic())
        return _jwks()

    verifier = CognitoJwtVerifier(issuer=ISSUER, client_ids=["client-1"], jwks_url="jwks", jwks_loader=loader)
    verifier.load_keys()
    for n in range(200):
        with pytest.raises(AuthError) as raised:
            verifier.verify(token(kid=f"made-up-{n}"))
        assert raised.value.message == NOT_AUTHORIZED
    refresh = verifier.keys._refreshing
    if refresh is not None:
        refresh.join(5)
    assert len(fetches) <= 2  # the start-up load and at most one rotation reload
    assert verifier.verify(token()).username == "alice"  # the known key still works, without a fetch
    assert len(fetches) <= 2


def test_a_rotated_key_is_picked_up_by_the_background_reload():
    keys = {"current": _jwks()}
    verifier = CognitoJwtVerifier(issuer=ISSUER, client_ids=["client-1"], jwks_url="jwks",
                                  jwks_loader=lambda _url: keys["current"])
    verifier.load_keys()
    rotated = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(OTHER_KEY.public_key()))
    keys["current"] = {"keys": [{**rotated, "kid": "k2", "alg": "RS256", "use": "sig"}]}
    new_token = token(key=OTHER_KEY, kid="k2")
    with pytest.raises(AuthError):  # unknown until the reload it started has finished
        verifier.verify(new_token)
    verifier.keys._refreshing.join(5)
    assert verifier.verify(new_token).username == "alice"
