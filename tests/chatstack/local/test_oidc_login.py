"""The local issuer's browser login: Authorization Code with PKCE (S256), one-time codes,
rotating refresh tokens, redirects only to the stack's own web client."""

from __future__ import annotations

import secrets

import jwt
import pytest

from chatstack.local.oidc import AttendeeClaims, LocalOidcIssuer
from chatstack.local.oidc_login import LoginError, s256

BASE = "http://127.0.0.1:20002"


@pytest.fixture
def issuer(tmp_path):
    return LocalOidcIssuer(tmp_path, BASE, AttendeeClaims(client_id="chat-web", moderator_claim="chat_moderator"))


def authorize(issuer, verifier, **changes):
    form = {"client_id": "chat-web", "redirect_uri": f"{BASE}/", "response_type": "code", "scope": "openid profile",
            "state": "s1", "nonce": "n1", "code_challenge": s256(verifier), "code_challenge_method": "S256",
            "name": "  Ann   Lee ", **changes}
    location = issuer.login.approve(form)
    assert location.startswith(f"{BASE}/?code=") and location.endswith("&state=s1")
    return location.split("code=")[1].split("&")[0]


def redeem(issuer, code, verifier, **changes):
    return issuer.login.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                               "client_id": "chat-web", "redirect_uri": f"{BASE}/", **changes})


def test_a_code_with_its_verifier_gives_an_id_token_the_stack_accepts(issuer):
    verifier = secrets.token_urlsafe(48)
    body = redeem(issuer, authorize(issuer, verifier, moderator="1"), verifier)
    claims = jwt.decode(body["id_token"], issuer.key.public_key(), algorithms=["RS256"], audience="chat-web")
    assert (claims["iss"], claims["name"], claims["nonce"], claims["chat_moderator"]) == (
        issuer.issuer, "Ann Lee", "n1", True)
    assert body["token_type"] == "Bearer" and body["refresh_token"]


def test_the_token_response_and_the_token_agree_on_the_lifetime(issuer):
    # oidc-client-ts schedules renewal from expires_in; AppSync refuses the token at exp.
    issuer.ttl_seconds = 65
    verifier = secrets.token_urlsafe(48)
    body = redeem(issuer, authorize(issuer, verifier), verifier)
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert body["expires_in"] == 65 and claims["exp"] - claims["iat"] == 65


def test_pkce_is_verified_and_a_code_is_single_use(issuer):
    verifier = secrets.token_urlsafe(48)
    code = authorize(issuer, verifier)
    with pytest.raises(LoginError, match="PKCE"):
        redeem(issuer, code, "another-verifier")
    with pytest.raises(LoginError, match="unknown, used or expired"):  # refused once, gone for good
        redeem(issuer, code, verifier)
    code = authorize(issuer, verifier)
    with pytest.raises(LoginError, match="redirect_uri"):
        redeem(issuer, code, verifier, redirect_uri="http://127.0.0.1:20002/other")


@pytest.mark.parametrize(("change", "error"), [
    ({"redirect_uri": "https://evil.example/"}, "is not on this stack's web client"),
    ({"code_challenge_method": "plain"}, "PKCE is required"),
    ({"response_type": "token"}, "authorization code flow"),
    ({"scope": "profile"}, "openid"),
    ({"name": "   "}, "display name"),
])
def test_bad_authorization_requests_are_refused(issuer, change, error):
    with pytest.raises(LoginError, match=error):
        authorize(issuer, "v" * 43, **change)


def test_refresh_tokens_rotate_and_keep_the_sign_in_time(issuer):
    verifier = secrets.token_urlsafe(48)
    first = redeem(issuer, authorize(issuer, verifier), verifier)
    renewed = issuer.login.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                  "client_id": "chat-web"})
    before, after = (jwt.decode(b["id_token"], options={"verify_signature": False}) for b in (first, renewed))
    assert after["sub"] == before["sub"] and after["auth_time"] == before["auth_time"]
    with pytest.raises(LoginError, match="unknown, used or expired"):  # the old one is spent
        issuer.login.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                            "client_id": "chat-web"})


def test_pending_codes_are_bounded(issuer, monkeypatch):
    monkeypatch.setattr("chatstack.local.oidc_login.MAX_PENDING", 5)
    for _ in range(20):
        authorize(issuer, "v" * 43)
    assert len(issuer.login.codes) == 5
