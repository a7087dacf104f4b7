"""JWT verification as AppSync does it: AMAZON_COGNITO_USER_POOLS and OPENID_CONNECT.

The token is the raw JWT in the `Authorization` header (no `Bearer ` prefix: AppSync
rejects that too). Both modes share one path (`JwtVerifier`): RS256 signature against a
key source (a JWKS URL, reloaded when an unknown `kid` shows up), exact `iss`, expiry, and
a cache of verified tokens; each mode adds its own claim rules:

- Cognito: `token_use` id or access, `aud` (ID token) or `client_id` (access token) = one
  of the API's clients. Pools that share a signing key (every pool in one moto process
  does) are told apart by the issuer and audience checks.
- OIDC: the issuer's discovery document names the JWKS (and must name the same issuer),
  `aud` matches the configured client id (a regular expression, as in AppSync) when one is
  set, `iat` within iatTTL and `auth_time` within authTTL when those are set.

`TokenVerifiers` serves an API with several providers: the token's (unverified) `iss`
chooses the verifier, which then checks everything.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import jwt

log = logging.getLogger("appsync_local.auth")

# AppSync's messages for the 401 UnauthorizedException it answers with.
MISSING_HEADER = "Valid authorization header not provided."
UNPARSEABLE = "Unable to parse JWT token."
EXPIRED = "Token has expired."
NOT_AUTHORIZED = "You are not authorized to make this call."

COGNITO_MODE = "AMAZON_COGNITO_USER_POOLS"
OIDC_MODE = "OPENID_CONNECT"


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
    # When the token stops being valid (epoch seconds): `exp`, or earlier by the mode's TTLs.
    valid_until: float | None = field(default=None, compare=False)
    auth_mode = COGNITO_MODE

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


@dataclass(frozen=True)
class OidcIdentity:
    """An OPENID_CONNECT caller: AppSync's ctx.identity is {claims, issuer, sub}."""

    sub: str
    issuer: str
    claims: dict[str, Any]
    groups: tuple[str, ...] = ()  # cognito_groups never match an OIDC caller
    # When the token stops being valid (epoch seconds): the earliest of `exp`, iat + iatTTL and
    # auth_time + authTTL. A subscription the token started ends then.
    valid_until: float | None = field(default=None, compare=False)
    auth_mode = OIDC_MODE

    def as_context(self, source_ip: str | None = None) -> dict[str, Any]:
        return {"claims": dict(self.claims), "issuer": self.issuer, "sub": self.sub}


Identity = CognitoIdentity | OidcIdentity


def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a URL the stack configured
        return json.loads(response.read().decode("utf-8"))


class JwksKeys:
    """Signing keys from a JWKS URL. `load()` fetches them (the local stack calls it before
    serving, off the event loop; otherwise the first use loads them, once). After that, `key`
    never fetches on the caller's path: an unknown `kid` starts at most one background reload
    per `min_refresh_seconds` (key rotation) and is refused meanwhile, so tokens with made-up
    kids cost a dict lookup, not a blocking fetch on the event loop."""

    def __init__(self, jwks_url: str | Callable[[], str], loader: Callable[[str], dict[str, Any]] = fetch_json,
                 *, min_refresh_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self._url = jwks_url
        self._load = loader
        self._keys: dict[str | None, Any] = {}
        self._lock = threading.Lock()
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._last_attempt: float | None = None
        self._refreshing: threading.Thread | None = None
        self.loads = 0

    def url(self) -> str:
        return self._url() if callable(self._url) else self._url

    def load(self) -> None:
        """Fetch the key set now (blocking)."""
        jwk_set = jwt.PyJWKSet.from_dict(self._load(self.url()))
        self._keys = {k.key_id: k.key for k in jwk_set.keys}
        self.loads += 1

    def key(self, kid: str | None) -> Any:
        if self.loads == 0:
            with self._lock:  # never loaded before serving: the first caller loads, once
                if self.loads == 0 and self._last_attempt is None:
                    self._last_attempt = self._clock()
                    self._reload()
        key = self._keys.get(kid)
        if key is None:
            self._reload_in_background()
            raise AuthError(NOT_AUTHORIZED)
        return key

    def _reload_in_background(self) -> None:
        with self._lock:
            if self._refreshing is not None and self._refreshing.is_alive():
                return
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self._min_refresh:
                return
            self._last_attempt = now
            self._refreshing = threading.Thread(target=self._reload, name="jwks-reload", daemon=True)
            self._refreshing.start()

    def _reload(self) -> None:
        try:
            self.load()
        except Exception:  # keep the keys we have; an unknown kid after the interval retries
            log.warning("loading the JWKS failed", exc_info=True)


def discovered_jwks_url(issuer: str, loader: Callable[[str], dict[str, Any]] = fetch_json) -> str:
    """`jwks_uri` from the issuer's OIDC discovery document, which must name the same issuer."""
    document = loader(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer or not isinstance(document.get("jwks_uri"), str):
        raise AuthError(NOT_AUTHORIZED)
    return document["jwks_uri"]


class JwtVerifier:
    """The shared path: header, signature, required claims, issuer, expiry, verified-token cache.
    Subclasses add their mode's claim rules in `identity_of` and may bound a token's lifetime
    further in `valid_until`."""

    VERIFIED_CACHE_SIZE = 10_000
    REQUIRED_CLAIMS: tuple[str, ...] = ("exp", "iss", "sub")

    def __init__(self, *, issuer: str, keys: JwksKeys, leeway_seconds: int = 0,
                 clock: Callable[[], float] = time.time):
        self.issuer = issuer
        self.keys = keys
        self.leeway = leeway_seconds
        self.clock = clock
        # Tokens that passed every check, with the time they stop being valid: signature,
        # issuer and audience cannot change, so a repeat only needs the clock (PyJWT's checks
        # cost ~1 ms, paid on every request and every subscription start otherwise).
        self._verified: OrderedDict[str, tuple[Identity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def load_keys(self) -> None:
        """Fetch the signing keys now (blocking: before serving, off the event loop)."""
        self.keys.load()

    def identity_of(self, claims: dict[str, Any]) -> Identity:
        raise NotImplementedError

    def valid_until(self, claims: dict[str, Any]) -> float:
        return numeric_date(claims, "exp")

    def verify(self, token: str | None) -> Identity:
        if not token or not token.strip():
            raise AuthError(MISSING_HEADER)
        token = token.strip()
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None:
                self._verified.move_to_end(token)
        if cached is not None:
            identity, until = cached
            if until + self.leeway <= self.clock():
                raise AuthError(EXPIRED)
            return identity
        identity, until = self._verify_uncached(token)
        with self._lock:
            self._verified[token] = (identity, until)
            if len(self._verified) > self.VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return identity

    def _verify_uncached(self, token: str) -> tuple[Identity, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthError(UNPARSEABLE) from error
        if header.get("alg") != "RS256":
            raise AuthError(UNPARSEABLE)
        key = self.keys.key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                         "require": list(self.REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise AuthError(NOT_AUTHORIZED) from error
        if numeric_date(claims, "exp") + self.leeway <= self.clock():
            raise AuthError(EXPIRED)
        if claims.get("iss") != self.issuer:
            raise AuthError(NOT_AUTHORIZED)
        identity = self.identity_of(claims)
        until = self.valid_until(claims)
        if until + self.leeway <= self.clock():
            raise AuthError(EXPIRED)
        return replace(identity, valid_until=until + self.leeway), until


def _audience_matches(audience: Any, accepts: Callable[[str], bool]) -> bool:
    values = audience if isinstance(audience, list) else [audience]
    return any(isinstance(value, str) and accepts(value) for value in values)


class CognitoJwtVerifier(JwtVerifier):
    REQUIRED_CLAIMS = ("exp", "iss", "sub", "token_use")

    def __init__(
        self,
        *,
        issuer: str,
        client_ids: tuple[str, ...] | list[str],
        jwks_url: str,
        leeway_seconds: int = 0,
        clock: Callable[[], float] = time.time,
        jwks_loader: Callable[[str], dict[str, Any]] = fetch_json,
    ):
        super().__init__(issuer=issuer, keys=JwksKeys(jwks_url, jwks_loader), leeway_seconds=leeway_seconds,
                         clock=clock)
        self.client_ids = tuple(client_ids)
        self.jwks_url = jwks_url

    def identity_of(self, claims: dict[str, Any]) -> CognitoIdentity:
        token_use = claims.get("token_use")
        if token_use == "id":
            audience = claims.get("aud")
            username = claims.get("cognito:username")
        elif token_use == "access":
            audience = claims.get("client_id")
            username = claims.get("username")
        else:
            raise AuthError(NOT_AUTHORIZED)
        if not _audience_matches(audience, lambda value: value in self.client_ids):
            raise AuthError(NOT_AUTHORIZED)
        groups = claims.get("cognito:groups") or []
        return CognitoIdentity(
            sub=str(claims["sub"]),
            issuer=self.issuer,
            username=str(username or claims["sub"]),
            claims=claims,
            groups=tuple(str(g) for g in groups),
        )


class OidcJwtVerifier(JwtVerifier):
    """AppSync's OPENID_CONNECT mode. `client_id` is a regular expression the whole `aud` must
    match (AppSync: "you can specify a regular expression"); the TTLs are in seconds here
    (AppSync's API takes milliseconds)."""

    REQUIRED_CLAIMS = ("exp", "iss", "sub", "iat")

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str | None = None,
        auth_ttl_seconds: float | None = None,
        iat_ttl_seconds: float | None = None,
        jwks_url: str | None = None,
        leeway_seconds: int = 0,
        clock: Callable[[], float] = time.time,
        loader: Callable[[str], dict[str, Any]] = fetch_json,
    ):
        # Without an explicit JWKS URL, discover it from the issuer (once, on first use).
        source = jwks_url if jwks_url is not None else (lambda: discovered_jwks_url(issuer, loader))
        super().__init__(issuer=issuer, keys=JwksKeys(source, loader), leeway_seconds=leeway_seconds, clock=clock)
        self.client_id = re.compile(client_id) if client_id else None
        self.auth_ttl = auth_ttl_seconds
        self.iat_ttl = iat_ttl_seconds

    def identity_of(self, claims: dict[str, Any]) -> OidcIdentity:
        if self.client_id is not None and not _audience_matches(
                claims.get("aud"), lambda value: self.client_id.fullmatch(value) is not None):
            raise AuthError(NOT_AUTHORIZED)
        if self.auth_ttl is not None:
            numeric_date(claims, "auth_time")  # an auth TTL cannot be checked without auth_time
        if numeric_date(claims, "iat") > self.clock() + self.leeway + 300:
            raise AuthError(NOT_AUTHORIZED)  # issued in the future (beyond clock skew)
        return OidcIdentity(sub=str(claims["sub"]), issuer=self.issuer, claims=claims)

    def valid_until(self, claims: dict[str, Any]) -> float:
        until = numeric_date(claims, "exp")
        if self.iat_ttl is not None:
            until = min(until, numeric_date(claims, "iat") + self.iat_ttl)
        if self.auth_ttl is not None:
            until = min(until, numeric_date(claims, "auth_time") + self.auth_ttl)
        return until


def numeric_date(claims: dict[str, Any], name: str) -> float:
    """A JWT NumericDate claim (RFC 7519: seconds, a JSON number). A string, a boolean, NaN or an
    infinity is refused: `float("inf")` would never expire and NaN compares false to every time."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AuthError(NOT_AUTHORIZED)
    return float(value)


def unverified_issuer(token: str) -> Any:
    """The `iss` claim, read without any check (only to choose a verifier): base64url JSON of the
    second segment, ~10x cheaper than a full PyJWT decode on every request."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError(UNPARSEABLE)
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError) as error:  # RecursionError: a nesting bomb
        raise AuthError(UNPARSEABLE) from error
    return payload.get("iss") if isinstance(payload, dict) else None


class TokenVerifiers:
    """Several JWT providers on one API: the token's `iss` picks the verifier."""

    def __init__(self, verifiers: list[JwtVerifier]):
        self.by_issuer = {v.issuer: v for v in verifiers}

    def load_keys(self) -> None:
        for verifier in self.by_issuer.values():
            verifier.load_keys()

    def verify(self, token: str | None) -> Identity:
        if not token or not token.strip():
            raise AuthError(MISSING_HEADER)
        issuer = unverified_issuer(token.strip())
        verifier = self.by_issuer.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise AuthError(NOT_AUTHORIZED)
        return verifier.verify(token)
