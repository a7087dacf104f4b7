"""Cognito user-pool JWT verification, as AppSync does it for AMAZON_COGNITO_USER_POOLS.

The token is the raw JWT in the `Authorization` header (no `Bearer ` prefix: AppSync
rejects that too). Checked: RS256 signature against the pool's JWKS, `iss` = this pool,
`token_use` id or access, `aud` (ID token) or `client_id` (access token) = one of the
API's clients, and expiry. moto signs every pool's tokens with one static key, so the
issuer and audience checks are what tell pools and clients apart.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

# AppSync's messages for the 401 UnauthorizedException it answers with.
MISSING_HEADER = "Valid authorization header not provided."
UNPARSEABLE = "Unable to parse JWT token."
EXPIRED = "Token has expired."
NOT_AUTHORIZED = "You are not authorized to make this call."


class AuthError(Exception):
    """The request carries no acceptable credentials (HTTP 401, UnauthorizedException)."""

    error_type = "UnauthorizedException"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CognitoIdentity:
    """The caller, as AppSync hands it to resolvers in ctx.identity."""

    sub: str
    issuer: str
    username: str
    claims: dict[str, Any]
    groups: tuple[str, ...]
    source_ip: str = "127.0.0.1"

    def as_context(self, source_ip: str | None = None) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "issuer": self.issuer,
            "username": self.username,
            "claims": dict(self.claims),
            "sourceIp": [source_ip or self.source_ip],
            "defaultAuthStrategy": "ALLOW",
            "groups": list(self.groups) or None,
        }


def fetch_jwks(url: str, timeout: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URL we built
        return json.loads(response.read().decode("utf-8"))


class CognitoJwtVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        client_ids: tuple[str, ...] | list[str],
        jwks_url: str,
        leeway_seconds: int = 0,
        clock: Callable[[], float] = time.time,
        jwks_loader: Callable[[str], dict[str, Any]] = fetch_jwks,
    ):
        self.issuer = issuer
        self.client_ids = tuple(client_ids)
        self.jwks_url = jwks_url
        self.leeway = leeway_seconds
        self.clock = clock
        self._load = jwks_loader
        self._keys: dict[str, Any] = {}
        # Tokens that passed every check, with their expiry: a token's signature, issuer and
        # audience cannot change, so a repeat only needs the clock (PyJWT's checks cost ~1 ms,
        # paid on every request and every subscription start otherwise).
        self._verified: OrderedDict[str, tuple[CognitoIdentity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, kid: str | None) -> Any:
        with self._lock:
            if kid not in self._keys:
                # Unknown kid: (re)load the key set once, as JWKS consumers do on rotation.
                jwk_set = jwt.PyJWKSet.from_dict(self._load(self.jwks_url))
                self._keys = {k.key_id: k.key for k in jwk_set.keys}
            key = self._keys.get(kid)
        if key is None:
            raise AuthError(NOT_AUTHORIZED)
        return key

    VERIFIED_CACHE_SIZE = 10_000

    def verify(self, token: str | None) -> CognitoIdentity:
        if not token or not token.strip():
            raise AuthError(MISSING_HEADER)
        token = token.strip()
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None:
                self._verified.move_to_end(token)
        if cached is not None:
            identity, expires = cached
            if expires + self.leeway <= self.clock():
                raise AuthError(EXPIRED)
            return identity
        identity, expires = self._verify_uncached(token)
        with self._lock:
            self._verified[token] = (identity, expires)
            if len(self._verified) > self.VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return identity

    def _verify_uncached(self, token: str) -> tuple[CognitoIdentity, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthError(UNPARSEABLE) from error
        if header.get("alg") != "RS256":
            raise AuthError(UNPARSEABLE)
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "require": ["exp", "iss", "sub", "token_use"]},
            )
        except jwt.PyJWTError as error:
            raise AuthError(NOT_AUTHORIZED) from error
        if float(claims["exp"]) + self.leeway <= self.clock():
            raise AuthError(EXPIRED)
        if claims.get("iss") != self.issuer:
            raise AuthError(NOT_AUTHORIZED)
        token_use = claims.get("token_use")
        if token_use == "id":
            audience = claims.get("aud")
            username = claims.get("cognito:username")
        elif token_use == "access":
            audience = claims.get("client_id")
            username = claims.get("username")
        else:
            raise AuthError(NOT_AUTHORIZED)
        if isinstance(audience, list):
            if not any(a in self.client_ids for a in audience):
                raise AuthError(NOT_AUTHORIZED)
        elif audience not in self.client_ids:
            raise AuthError(NOT_AUTHORIZED)
        groups = claims.get("cognito:groups") or []
        identity = CognitoIdentity(
            sub=str(claims["sub"]),
            issuer=self.issuer,
            username=str(username or claims["sub"]),
            claims=claims,
            groups=tuple(str(g) for g in groups),
        )
        return identity, float(claims["exp"])
