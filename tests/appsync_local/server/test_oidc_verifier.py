"""OPENID_CONNECT verification (appsync_local.server.auth.OidcJwtVerifier) with a generated
key and a discovery document in memory, so every claim and TTL can be varied."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from appsync_local.server.auth import (
    EXPIRED,
    NOT_AUTHORIZED,
    UNPARSEABLE,
    AuthError,
    CognitoJwtVerifier,
    OidcJwtVerifier,
    TokenVerifiers,
)

ISSUER = "https://events.example.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def documents(discovered_issuer: str = ISSUER) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {
        f"{ISSUER}/.well-known/openid-configuration": {"issuer": discovered_issuer,
                                                       "jwks_uri": f"{ISSUER}/keys"},
        f"{ISSUER}/keys": {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]},
    }


def token(**claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "att-1", "aud": "web-1", "iat": now, "auth_time": now, "exp": now + 600}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, KEY, algorithm="RS256",
                      headers={"kid": "k1"})


def verifier(docs=None, clock=time.time, **settings) -> OidcJwtVerifier:
    docs = docs or documents()
    return OidcJwtVerifier(issuer=ISSUER, loader=lambda url: docs[url], clock=clock, **settings)


def test_the_identity_is_appsyncs_oidc_shape_and_keys_come_from_discovery():
    loaded = []
    docs = documents()
    oidc = OidcJwtVerifier(issuer=ISSUER, loader=lambda url: loaded.append(url) or docs[url])
    identity = oidc.verify(token(name="Ann"))
    assert identity.as_context() == {"claims": identity.claims, "issuer": ISSUER, "sub": "att-1"}
    assert identity.auth_mode == "OPENID_CONNECT" and identity.groups == ()
    assert loaded == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/keys"]


@pytest.mark.parametrize(
    ("settings", "make", "message"),
    [
        ({"client_id": "web-1"}, lambda: token(aud="web-2"), NOT_AUTHORIZED),
        ({"client_id": "web-1"}, lambda: token(aud=None), NOT_AUTHORIZED),
        ({"client_id": "web-[0-9]+"}, lambda: token(aud="web-1x"), NOT_AUTHORIZED),  # the whole aud matches
        ({"auth_ttl_seconds": 60}, lambda: token(auth_time=int(time.time()) - 61), EXPIRED),
        ({"auth_ttl_seconds": 60}, lambda: token(auth_time=None), NOT_AUTHORIZED),
        ({"iat_ttl_seconds": 60}, lambda: token(iat=int(time.time()) - 61), EXPIRED),
        ({}, lambda: token(iat=int(time.time()) + 3600), NOT_AUTHORIZED),  # issued in the future
        ({}, lambda: token(iat=None), NOT_AUTHORIZED),
        ({}, lambda: token(exp=int(time.time()) - 1), EXPIRED),
        ({}, lambda: token(iss="https://other.example.com"), NOT_AUTHORIZED),
    ],
)
def test_appsyncs_oidc_checks(settings, make, message):
    with pytest.raises(AuthError) as raised:
        verifier(**settings).verify(make())
    assert raised.value.message == message


def test_the_client_id_is_a_regular_expression_over_any_audience():
    oidc = verifier(client_id="web-[0-9]+")
    assert oidc.verify(token(aud=["other", "web-7"])).sub == "att-1"


def test_a_discovery_document_naming_another_issuer_is_not_trusted():
    with pytest.raises(AuthError) as raised:
        verifier(documents(discovered_issuer="https://evil.example.com")).verify(token())
    assert raised.value.message == NOT_AUTHORIZED


def test_a_remembered_token_still_ends_at_its_iat_ttl():
    now = [time.time()]
    oidc = verifier(clock=lambda: now[0], iat_ttl_seconds=100)
    good = token()
    assert oidc.verify(good).sub == "att-1"
    now[0] += 101  # exp is 600 s away, but the iat TTL has passed
    with pytest.raises(AuthError) as raised:
        oidc.verify(good)
    assert raised.value.message == EXPIRED


def test_several_providers_choose_by_issuer():
    cognito = CognitoJwtVerifier(issuer="https://cognito-idp.us-east-1.amazonaws.com/pool", client_ids=["c"],
                                 jwks_url="unused", jwks_loader=lambda _: pytest.fail("no Cognito token here"))
    both = TokenVerifiers([cognito, verifier()])
    assert both.verify(token()).auth_mode == "OPENID_CONNECT"
    for bad, message in ((token(iss="https://unknown.example.com"), NOT_AUTHORIZED), ("not-a-jwt", UNPARSEABLE)):
        with pytest.raises(AuthError) as raised:
            both.verify(bad)
        assert raised.value.message == message
