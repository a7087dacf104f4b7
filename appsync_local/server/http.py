"""The aiohttp application: `POST /graphql` (queries, mutations) and `GET /graphql/realtime`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from appsync_local.server.auth import AuthError, Identity
from appsync_local.server.graphql_endpoint import IAM, GraphQLEndpoint
from appsync_local.server.realtime import MAX_CONNECTIONS, RealtimeServer

log = logging.getLogger("appsync_local.http")

# Largest POST /graphql body served; a bigger one is answered 413 (errors[], PayloadTooLarge).
MAX_REQUEST_BYTES = 1024 * 1024
LARGE_BODY = 64 * 1024  # bodies above this are decoded on a worker thread

# CORS as AppSync answers it: any origin, and a preflight allows the headers the browser asks
# for (AppSync hands custom request headers to resolvers, so it cannot restrict them); the
# default list covers what Amplify, the aws-appsync links and SigV4 signers send.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType, x-amz-user-agent, x-amzn-ErrorMessage, Date",
}
PREFLIGHT_ALLOWED_HEADERS = (
    "Authorization, Content-Type, X-Amz-Date, X-Amz-Security-Token, X-Amz-User-Agent, X-Api-Key, "
    "X-Amz-Content-Sha256, Host"
)
PREFLIGHT_MAX_AGE_SECONDS = 86400


def preflight_headers(request_headers: Any) -> dict[str, str]:
    """Headers answering an OPTIONS preflight: the requested headers allowed (or the default list)."""
    requested = request_headers.get("Access-Control-Request-Headers", "").strip()
    return {
        **CORS_HEADERS,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": requested or PREFLIGHT_ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
    }


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
        headers=CORS_HEADERS,
    )


def unauthorized(message: str) -> web.Response:
    return _json(401, {"errors": [{"errorType": "UnauthorizedException", "message": message}]})


class LocalAppSync:
    """The endpoint's state: GraphQL execution, real-time fan-out, token verification."""

    def __init__(
        self,
        endpoint: GraphQLEndpoint,
        verify: Callable[[str | None], Identity],
        *,
        keepalive_seconds: float = 60.0,
        max_connections: int = MAX_CONNECTIONS,
        iam_verify: Callable[[str, str, dict[str, str], bytes], Any] | None = None,
    ):
        self.endpoint = endpoint
        self.verify = verify
        # Optional AWS_IAM: verify(method, url, headers, body) -> principal with as_context(ip),
        # raising AuthError when it refuses (appsync_local.sigv4.SigV4Verifier.verify).
        self.iam_verify = iam_verify
        self.realtime = RealtimeServer(endpoint, verify, keepalive_seconds=keepalive_seconds,
                                       max_connections=max_connections)
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/graphql", self.graphql)
        app.router.add_route("OPTIONS", "/graphql", self.preflight)
        app.router.add_get("/graphql/realtime", self.realtime.handle)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, _app: web.Application) -> None:
        await self.realtime.close_all()
        self.endpoint.close()

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=preflight_headers(request.headers))

    async def graphql(self, request: web.Request) -> web.Response:
        self.requests += 1
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"errors": [{"errorType": "PayloadTooLargeException",
                                           "message": f"The request body exceeds {MAX_REQUEST_BYTES} bytes."}]})
        authorization = request.headers.get("Authorization") or ""
        if self.iam_verify is not None and authorization.startswith("AWS4-HMAC-SHA256 "):
            try:
                principal = self.iam_verify(request.method, str(request.url), dict(request.headers), raw)
            except AuthError as error:  # the verifier's rejection (SignatureError); a bug stays a 500
                return unauthorized(error.message)
            caller, groups, mode = principal.as_context(request.remote or "127.0.0.1"), (), IAM
        else:
            try:
                identity = self.verify(authorization)
            except AuthError as error:
                return unauthorized(error.message)
            caller, groups, mode = identity.as_context(request.remote), identity.groups, identity.auth_mode
        try:
            text = raw.decode("utf-8")
            # A large body's decoding is long enough to hold up everyone else: off the loop.
            body = json.loads(text) if len(text) <= LARGE_BODY else await asyncio.to_thread(json.loads, text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _json(400, {"errors": [{"errorType": "MalformedHttpRequestException",
                                           "message": "Unable to parse the request body as JSON."}]})
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            response = await self.endpoint.execute(
                body,
                identity=caller,
                groups=groups,
                headers=headers,
                auth_mode=mode,
            )
        except Exception:
            log.exception("request failed")
            failure = {"errorType": "InternalFailure", "message": "An internal failure occurred."}
            return _json(500, {"errors": [failure]})
        for invalidation in response.invalidations:
            if isinstance(invalidation, dict) and invalidation.get("subscriptionField"):
                self.realtime.invalidate(str(invalidation["subscriptionField"]), invalidation.get("payload") or {})
        for subscription_field, _mutation, payload in response.published:
            self.realtime.publish(subscription_field, payload)
        if response.encoded is not None:
            return web.Response(status=response.status, text=response.encoded, content_type="application/json",
                                headers=CORS_HEADERS)
        return _json(response.status, response.body)
