"""The local event-platform issuer of `oidc` stacks, and the attendee tokens it signs.

In production the event platform signs its attendees in and hands them a short-lived
token; AppSync verifies it (OPENID_CONNECT). Offline, `chatstack local` plays that
platform: it serves an OIDC discovery document and JWKS under `/oidc` on its own port and
signs tokens with an RSA key generated once per stack and kept under
`.chatstack/<stack>/` (so tokens survive a restart on the same port). The local endpoint
then verifies exactly what AppSync would: signature, `iss`, client id (`aud`), `iat` and
`auth_time` TTLs.

`attendee_token()` (and `chatstack attendee-token`) is what an event platform's backend
does: it needs only the stack's state directory, not the running process.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chatstack.local.stack_secrets import create_once, new_rsa_pem

ISSUER_PATH = "/oidc"
DISCOVERY_PATH = f"{ISSUER_PATH}/.well-known/openid-configuration"
JWKS_PATH = f"{ISSUER_PATH}/.well-known/jwks.json"
KEY_FILE = "oidc-signing-key.pem"
SETTINGS_FILE = "oidc.json"
DEFAULT_TTL_SECONDS = 3600


class AttendeeTokenError(RuntimeError):
    """A token cannot be minted (no local issuer for the stack, or the stack cannot grant what was asked)."""


@dataclass(frozen=True)
class AttendeeClaims:
    """How the stack reads attendee tokens (its chatstack:oidc* settings)."""

    client_id: str | None = None
    name_claim: str = "name"
    moderator_claim: str = ""
    moderator_value: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"clientId": self.client_id, "nameClaim": self.name_claim,
                "moderatorClaim": self.moderator_claim, "moderatorValue": self.moderator_value}


def _write_private(path: Path, data: bytes) -> None:
    """Atomically, readable by the owner only; a concurrent writer's file wins if it got there first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def load_or_create_key(state_dir: Path) -> rsa.RSAPrivateKey:
    path = state_dir / KEY_FILE
    # create_once: concurrent starts of one stack end up with the same key (the first file wins)
    loaded = serialization.load_pem_private_key(create_once(path, new_rsa_pem), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise AttendeeTokenError(f"{path} is not an RSA private key")
    return loaded


def key_id(key: rsa.RSAPrivateKey) -> str:
    """A stable kid: the RFC 7638 thumbprint of the public key."""
    jwk = _public_jwk(key, None)
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _public_jwk(key: rsa.RSAPrivateKey, kid: str | None) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk = {"kty": public["kty"], "n": public["n"], "e": public["e"], "alg": "RS256", "use": "sig"}
    if kid:
        jwk["kid"] = kid
    return jwk


def mint(
    key: rsa.RSAPrivateKey,
    *,
    issuer: str,
    sub: str,
    name: str,
    claims: AttendeeClaims,
    moderator: bool = False,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    now: float | None = None,
    auth_time: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """An ID token as an event platform issues it: sub, the name claim, aud, iat/auth_time/exp."""
    if not sub:
        raise AttendeeTokenError("sub must not be empty")
    now = time.time() if now is None else now
    body: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "iat": int(now),
        "auth_time": int(now if auth_time is None else auth_time),
        "exp": int(now + ttl_seconds),
        "jti": secrets.token_hex(8),
        claims.name_claim: name,
    }
    if claims.client_id:
        body["aud"] = claims.client_id
    if moderator:
        if not claims.moderator_claim:
            raise AttendeeTokenError(
                "the stack grants no moderator rights to attendee tokens: set chatstack:oidcModeratorClaim")
        body[claims.moderator_claim] = claims.moderator_value or True
    body.update(extra or {})
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": key_id(key), "typ": "JWT"})


class LocalOidcIssuer:
    """The issuer a local `oidc` stack serves on its own port (routes under /oidc)."""

    def __init__(self, state_dir: Path, base_url: str, claims: AttendeeClaims,
                 ttl_seconds: float = DEFAULT_TTL_SECONDS):
        from chatstack.local.oidc_login import LoginFlow

        self.state_dir = state_dir
        self.issuer = base_url.rstrip("/") + ISSUER_PATH
        self.claims = claims
        self.ttl_seconds = ttl_seconds
        self.key = load_or_create_key(state_dir)
        self.kid = key_id(self.key)
        # The chat is served from the same endpoint: its pages are where logins may return to.
        self.login = LoginFlow(self, {base_url.rstrip("/")})

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + "/.well-known/jwks.json",
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": sorted({"sub", "iss", "aud", "exp", "iat", "auth_time", self.claims.name_claim}
                                       | ({self.claims.moderator_claim} - {""})),
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_public_jwk(self.key, self.kid)]}

    def add_routes(self, app: Any) -> None:
        """The discovery document, the JWKS and the browser login (authorize, token) on an aiohttp app."""
        from aiohttp import web

        from chatstack.local.oidc_login import LOGIN_PAGE_CSP, LoginError

        async def discovery(_request: web.Request) -> web.Response:
            return web.json_response(self.discovery())

        async def jwks(_request: web.Request) -> web.Response:
            return web.json_response(self.jwks())

        def refused(error: LoginError) -> web.Response:
            return web.Response(status=400, text=f"{error.error}: {error}", content_type="text/plain")

        async def authorize_page(request: web.Request) -> web.Response:
            params = dict(request.query)
            try:
                self.login.check_request(params)
            except LoginError as error:
                return refused(error)
            if params.get("prompt") == "none":  # no session at this issuer: the client must ask
                raise web.HTTPFound(self.login.error_redirect(params, "login_required"))
            page = self.login.login_page(params, moderator_claim=bool(self.claims.moderator_claim))
            return web.Response(text=page, content_type="text/html",
                                headers={"Content-Security-Policy": LOGIN_PAGE_CSP, "Cache-Control": "no-store"})

        async def authorize_submit(request: web.Request) -> web.Response:
            form = {k: str(v) for k, v in (await request.post()).items()}
            if not self.claims.moderator_claim:
                form.pop("moderator", None)  # the stack grants no moderation through attendee tokens
            try:
                location = self.login.approve(form)
            except LoginError as error:
                return refused(error)
            raise web.HTTPFound(location)

        async def token(request: web.Request) -> web.Response:
            form = {k: str(v) for k, v in (await request.post()).items()}
            try:
                body = self.login.token(form)
            except LoginError as error:
                return web.json_response({"error": error.error, "error_description": str(error)}, status=400,
                                         headers={"Cache-Control": "no-store"})
            return web.json_response(body, headers={"Cache-Control": "no-store"})

        app.router.add_get(DISCOVERY_PATH, discovery)
        app.router.add_get(JWKS_PATH, jwks)
        app.router.add_get(ISSUER_PATH + "/authorize", authorize_page)
        app.router.add_post(ISSUER_PATH + "/authorize", authorize_submit)
        app.router.add_post(ISSUER_PATH + "/token", token)

    def write_settings(self) -> None:
        """What attendee_token() needs besides the key: the issuer URL and the stack's claims."""
        document = {"issuer": self.issuer, **self.claims.as_json()}
        _write_private(self.state_dir / SETTINGS_FILE, json.dumps(document, indent=2).encode())

    def mint(self, sub: str, name: str, **options: Any) -> str:
        # The login's token response says expires_in = ttl_seconds: the token's exp must agree.
        options.setdefault("ttl_seconds", self.ttl_seconds)
        return mint(self.key, issuer=self.issuer, sub=sub, name=name, claims=self.claims, **options)


def attendee_token(
    state_dir: Path,
    sub: str,
    name: str,
    *,
    moderator: bool = False,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """A token the local issuer of the stack whose state is in `state_dir` accepts
    (`.chatstack/<stack>/` of the project; written by `chatstack local`)."""
    if ttl_seconds <= 0:
        raise AttendeeTokenError("the token lifetime (--ttl) must be positive")
    return local_token_minter(state_dir)(sub=sub, name=name, moderator=moderator, ttl_seconds=ttl_seconds, now=now)


def local_token_minter(state_dir: Path) -> Callable[..., str]:
    """`mint` bound to the local issuer whose state is in `state_dir`, its key loaded once
    (rehearsals mint one token per simulated attendee)."""
    settings_path = state_dir / SETTINGS_FILE
    key_path = state_dir / KEY_FILE
    if not settings_path.exists() or not key_path.exists():
        raise AttendeeTokenError(
            f"no local OIDC issuer state in {state_dir}: serve the stack with attendeeAuth=oidc first "
            "(e.g. chatstack local --stack dev --config attendeeAuth=oidc)")
    settings = json.loads(settings_path.read_text(encoding="utf-8"))
    claims = AttendeeClaims(
        client_id=settings.get("clientId"),
        name_claim=settings.get("nameClaim") or "name",
        moderator_claim=settings.get("moderatorClaim") or "",
        moderator_value=settings.get("moderatorValue") or "",
    )
    return functools.partial(mint, load_or_create_key(state_dir), issuer=settings["issuer"], claims=claims)
