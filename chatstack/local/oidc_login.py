"""The browser side of the local event-platform issuer: OpenID Connect Authorization Code
with PKCE (S256), as an event platform's login serves the chat's attendees.

`GET /oidc/authorize` shows a small login page (display name, moderator, Continue); `POST`
issues a one-time code bound to the client, redirect URI and PKCE challenge. `POST
/oidc/token` trades the code (with its verifier) or a refresh token for an ID token the
stack accepts. Codes live 60 s and are single use; refresh tokens rotate. Both are kept in
memory and bounded, so a flood of logins cannot grow memory without limit.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

CODE_TTL_SECONDS = 60
REFRESH_TTL_SECONDS = 24 * 3600
MAX_PENDING = 10_000  # codes (and, separately, refresh tokens) held at once; the oldest go first
LOGIN_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


class LoginError(ValueError):
    """An OAuth error: `error` is the RFC 6749 code, the message its description."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    sub: str
    name: str
    moderator: bool
    auth_time: float
    expires: float


def _bounded_put(store: OrderedDict, key: str, value: Any) -> None:
    store[key] = value
    while len(store) > MAX_PENDING:
        store.popitem(last=False)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class LoginFlow:
    """Authorization codes and refresh tokens of one local issuer."""

    def __init__(self, issuer: Any, allowed_origins: set[str]):
        self.issuer = issuer  # LocalOidcIssuer: mint(sub, name, moderator=..., extra=...)
        self.allowed_origins = allowed_origins  # where the chat may be served from (redirect URIs)
        self.codes: OrderedDict[str, Grant] = OrderedDict()
        self.refresh_tokens: OrderedDict[str, Grant] = OrderedDict()

    # ------------------------------------------------------------------ authorize

    def check_request(self, params: dict[str, str]) -> None:
        redirect_uri = params.get("redirect_uri", "")
        parsed = urlparse(redirect_uri)
        if f"{parsed.scheme}://{parsed.netloc}" not in self.allowed_origins:
            raise LoginError("invalid_request", f"redirect_uri {redirect_uri!r} is not on this stack's web client")
        if params.get("response_type") != "code":
            raise LoginError("unsupported_response_type", "only the authorization code flow (response_type=code)")
        if not params.get("client_id"):
            raise LoginError("invalid_request", "client_id is required")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            raise LoginError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
        if "openid" not in params.get("scope", "").split():
            raise LoginError("invalid_scope", "scope must include openid")

    def error_redirect(self, params: dict[str, str], error: str) -> str:
        query = {"error": error, **({"state": params["state"]} if params.get("state") else {})}
        return params["redirect_uri"] + ("&" if "?" in params["redirect_uri"] else "?") + urlencode(query)

    def login_page(self, params: dict[str, str], moderator_claim: bool) -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items() if k in ("client_id", "redirect_uri", "response_type", "scope",
                                                              "state", "nonce", "code_challenge",
                                                              "code_challenge_method"))
        moderator = ('<p><label><input type="checkbox" name="moderator" value="1"> Moderator</label></p>'
                     if moderator_claim else "")
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event platform sign-in (local)</title>
<style>body{{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}
input[type=text]{{font:inherit;padding:.6rem;width:100%;box-sizing:border-box}}
button{{font:inherit;padding:.7rem 1.4rem;min-height:44px;margin-top:1rem}}</style></head>
<body><main><h1>Join the event chat</h1>
<p>This page stands in for the event platform's sign-in (chatstack local).</p>
<form method="post" action="authorize">{hidden}
<p><label for="name">Display name</label><br>
<input id="name" type="text" name="name" required maxlength="64" autocomplete="nickname" autofocus></p>
{moderator}<button type="submit">Continue</button></form></main></body></html>"""

    def approve(self, form: dict[str, str]) -> str:
        """The redirect to the chat with a one-time code."""
        self.check_request(form)
        name = " ".join(form.get("name", "").split())[:64]
        if not name:
            raise LoginError("invalid_request", "a display name is required")
        code = secrets.token_urlsafe(32)
        now = time.time()
        _bounded_put(self.codes, code, Grant(
            client_id=form["client_id"], redirect_uri=form["redirect_uri"], code_challenge=form["code_challenge"],
            nonce=form.get("nonce") or None, sub=f"attendee-{uuid.uuid4()}", name=name,
            moderator=form.get("moderator") == "1", auth_time=now, expires=now + CODE_TTL_SECONDS))
        query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        return form["redirect_uri"] + ("&" if "?" in form["redirect_uri"] else "?") + urlencode(query)

    # ------------------------------------------------------------------ token

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)  # single use, even when refused below
            if grant is None or grant.expires < time.time():
                raise LoginError("invalid_grant", "the code is unknown, used or expired")
            if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
                raise LoginError("invalid_grant", "client_id or redirect_uri differ from the authorization request")
            if s256(form.get("code_verifier", "")) != grant.code_challenge:
                raise LoginError("invalid_grant", "code_verifier does not match the code_challenge (PKCE)")
        elif grant_type == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: each is single use
            if grant is None or grant.expires < time.time():
                raise LoginError("invalid_grant", "the refresh token is unknown, used or expired")
            if form.get("client_id") != grant.client_id:
                raise LoginError("invalid_grant", "client_id differs from the one the token was issued to")
        else:
            raise LoginError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        refresh = secrets.token_urlsafe(32)
        _bounded_put(self.refresh_tokens, refresh, Grant(**{**grant.__dict__,
                                                            "expires": time.time() + REFRESH_TTL_SECONDS}))
        extra = {"nonce": grant.nonce} if grant.nonce and grant_type == "authorization_code" else {}
        id_token = self.issuer.mint(grant.sub, grant.name, moderator=grant.moderator, auth_time=grant.auth_time,
                                    extra=extra)
        return {"id_token": id_token, "access_token": id_token, "token_type": "Bearer",
                "expires_in": int(self.issuer.ttl_seconds), "refresh_token": refresh, "scope": "openid profile"}
