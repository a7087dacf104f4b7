"""AppSync Events (an Event API) served locally: HTTP publish and the WebSocket protocol, with
each channel namespace's APPSYNC_JS handlers run in the local runtime.

HTTP: `POST /event` {"channel": "/ns/a/b", "events": ["<JSON text>", ... (at most 5)]}, answered
{"successful": [{"identifier", "index"}], "failed": [...]}. WebSocket: `GET /event/realtime`
with the subprotocols `aws-appsync-event-ws` and `header-<base64url JSON {host, Authorization}>`;
`connection_init` → `connection_ack` {connectionTimeoutMs}, then `ka` periodically; `subscribe`
{id, channel, authorization} → `subscribe_success` | `subscribe_error` {errors}; `data` {id,
event: "<JSON text>"}; `unsubscribe` → `unsubscribe_success`; `publish` {id, channel, events,
authorization} → `publish_success` | `publish_error`.

Auth: Cognito/OIDC JWTs (`Authorization`) and, over HTTP, SigV4 (IAM), each allowed per
namespace for publishing and subscribing. Handlers: `onSubscribe(ctx)` and `onPublish(ctx)`
(ctx.info.channel {path, segments}, ctx.info.channelNamespace {name}, ctx.identity, ctx.events
[{id, payload}]); with a data source integration a handler is {request, response} and its
request goes to the data source as a resolver's does. util.error / util.unauthorized refuse.

Hostile-client limits: a subscription's reader too slow for its messages (more than
MAX_OUTBOX_BYTES queued) is disconnected; at most MAX_SUBSCRIPTIONS_PER_CONNECTION per
connection; frames over MAX_FRAME_BYTES are refused with an error. Where this differs from
AWS: IAM is accepted on HTTP publish only (not on the WebSocket).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from appsync_local.server.auth import AuthError
from appsync_local.server.outbox import MAX_OUTBOX_BYTES, QueuedConnection

log = logging.getLogger("appsync_local.events")

SUBPROTOCOL = "aws-appsync-event-ws"
HEADER_SUBPROTOCOL_PREFIX = "header-"
CONNECTION_TIMEOUT_MS = 300_000
MAX_EVENTS_PER_PUBLISH = 5
MAX_EVENT_BYTES = 240 * 1024
MAX_FRAME_BYTES = 1024 * 1024
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
IAM = "AWS_IAM"
# A channel: /namespace/segment[/segment...], 1-5 segments of letters, digits and dashes
# (a subscription's last segment may be `*`).
SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,48}[A-Za-z0-9])?|[A-Za-z0-9]")


@dataclass
class ChannelNamespace:
    name: str
    code: str | None = None  # the namespace's handlers (APPSYNC_JS); None: events pass as published
    publish_modes: tuple[str, ...] = (IAM,)
    subscribe_modes: tuple[str, ...] = ()
    # onSubscribe with a data source integration ({request, response}): the data source.
    subscribe_data_source: Any = None


class EventRefused(Exception):
    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type, self.message = error_type, message

    def errors(self) -> list[dict[str, str]]:
        return [{"errorType": self.error_type, "message": self.message}]


def channel_segments(channel: Any, subscribing: bool = False) -> list[str]:
    if not isinstance(channel, str) or not channel.startswith("/") or len(channel) > 1024:
        raise EventRefused("BadRequestException", f"invalid channel {str(channel)[:80]!r}: expected /namespace/...")
    segments = channel[1:].split("/")
    valid = [s == "*" and subscribing and i == len(segments) - 1 and i > 0 or bool(SEGMENT.fullmatch(s))
             for i, s in enumerate(segments)]
    if not 1 < len(segments) <= 5 or not all(valid):
        raise EventRefused("BadRequestException", f"invalid channel {channel[:80]!r}: /namespace/ and 1-4 segments "
                                                  "of letters, digits, - and _")
    return segments


def _matches(subscribed: list[str], channel: list[str]) -> bool:
    if subscribed[-1] == "*":
        return channel[:len(subscribed) - 1] == subscribed[:-1] and len(channel) >= len(subscribed)
    return subscribed == channel


@dataclass
class _Subscription:
    id: str
    segments: list[str]
    connection: _Connection


@dataclass(eq=False)
class _Connection(QueuedConnection):
    identity: dict[str, Any] | None
    mode: str
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)


class LocalEventApi:
    """One Event API: its namespaces, who may connect, and the live subscriptions."""

    def __init__(self, namespaces: list[ChannelNamespace], verify: Callable[[str], Any], *,
                 iam_verify: Callable[[str, str, dict[str, str], bytes], Any] | None = None,
                 engine_factory: Callable[[], Any], keepalive_seconds: float = 60.0,
                 max_outbox_bytes: int = MAX_OUTBOX_BYTES):
        self.namespaces = {n.name: n for n in namespaces}
        self.verify, self.iam_verify = verify, iam_verify
        self.keepalive_seconds = keepalive_seconds
        self.max_outbox_bytes = max_outbox_bytes
        self.slow_consumers_disconnected = 0
        self._engine_factory = engine_factory
        self._local = threading.local()
        # Handlers run off the event loop, on threads each with its own JS engine.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="event-handlers")
        self._subscriptions: dict[str, list[_Subscription]] = {}  # namespace -> subscriptions
        self.published = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/event", self.http_publish)
        app.router.add_get("/event/realtime", self.websocket)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------- auth
    def _authenticate(self, headers: dict[str, str], method: str = "", url: str = "", body: bytes = b"",
                      remote: str | None = None) -> tuple[dict[str, Any], str]:
        authorization = headers.get("Authorization") or headers.get("authorization") or ""
        if authorization.startswith("AWS4-HMAC-SHA256 "):
            if self.iam_verify is None or not method:
                raise AuthError("IAM authorization is accepted on HTTP publish only here")
            return self.iam_verify(method, url, headers, body).as_context(remote or "127.0.0.1"), IAM
        identity = self.verify(authorization)
        return identity.as_context(remote), identity.auth_mode

    def _namespace(self, segments: list[str]) -> ChannelNamespace:
        namespace = self.namespaces.get(segments[0])
        if namespace is None:
            raise EventRefused("NotFoundException", f"no channel namespace {segments[0]!r}")
        return namespace

    # ---------------------------------------------------------------- handlers
    def _engine(self) -> Any:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self._engine_factory()
        return engine

    def _exports(self, namespace: ChannelNamespace, handler: str) -> bool:
        """Whether the namespace's code exports this handler (the engine read the module's exports)."""
        if not namespace.code:
            return False
        engine = self._engine()
        return handler in engine.exports(engine.load(namespace.code, f"{namespace.name} handlers"))

    def _call(self, namespace: ChannelNamespace, handler: str, ctx: dict[str, Any]) -> dict[str, Any]:
        engine = self._engine()
        out = engine.call(engine.load(namespace.code, f"{namespace.name} handlers"), handler, ctx)
        if out["status"] == "error":
            error = out["error"]
            raise EventRefused(error.get("errorType") or "UnauthorizedException", error.get("message") or "refused")
        if out["status"] == "exception":
            raise EventRefused("CodeError", f"{handler}: {out['error']['message']}")
        ctx["stash"] = out.get("stash") or {}
        return out

    def _context(self, namespace: ChannelNamespace, channel: str, segments: list[str], identity: dict[str, Any],
                 operation: str) -> dict[str, Any]:
        return {"identity": identity, "stash": {}, "request": {"headers": {}},
                "info": {"channel": {"path": channel, "segments": segments},
                         "channelNamespace": {"name": namespace.name}, "operation": operation}}

    def _on_subscribe(self, namespace: ChannelNamespace, ctx: dict[str, Any]) -> None:
        if not self._exports(namespace, "onSubscribe"):
            return
        if namespace.subscribe_data_source is None:
            self._call(namespace, "onSubscribe", ctx)
            return
        request = self._call(namespace, "onSubscribe.request", ctx).get("value")
        try:
            ctx["result"], ctx["error"] = namespace.subscribe_data_source.invoke(request), None
        except Exception as error:  # the data source's own refusal, as a resolver sees it
            ctx["result"], ctx["error"] = getattr(error, "result", None), {
                "message": getattr(error, "message", str(error)), "type": getattr(error, "error_type", "Error")}
        self._call(namespace, "onSubscribe.response", ctx)

    def _on_publish(self, namespace: ChannelNamespace, ctx: dict[str, Any]) -> list[dict[str, Any]]:
        if not self._exports(namespace, "onPublish"):
            return ctx["events"]
        result = self._call(namespace, "onPublish", ctx).get("value")
        return [e for e in result if isinstance(e, dict) and "payload" in e] if isinstance(result, list) else []

    # ---------------------------------------------------------------- publish
    async def publish(self, channel: Any, events: Any, identity: dict[str, Any], mode: str) -> dict[str, Any]:
        segments = channel_segments(channel)
        namespace = self._namespace(segments)
        if mode not in namespace.publish_modes:
            raise EventRefused("UnauthorizedException", f"{mode} may not publish to {segments[0]!r}")
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS_PER_PUBLISH:
            raise EventRefused("BadRequestException", f"events: 1-{MAX_EVENTS_PER_PUBLISH} JSON strings")
        failed, parsed = [], []
        for index, text in enumerate(events):
            identifier = str(uuid.uuid4())
            if not isinstance(text, str) or len(text.encode()) > MAX_EVENT_BYTES:
                failed.append({"identifier": identifier, "index": index, "code": 400,
                               "message": f"an event is a JSON string of at most {MAX_EVENT_BYTES} bytes"})
                continue
            try:
                parsed.append({"id": identifier, "index": index, "payload": json.loads(text)})
            except ValueError:
                failed.append({"identifier": identifier, "index": index, "code": 400, "message": "not valid JSON"})
        ctx = self._context(namespace, channel, segments, identity, "PUBLISH")
        ctx["events"] = [{"id": e["id"], "payload": e["payload"]} for e in parsed]
        out = await asyncio.get_running_loop().run_in_executor(self._pool, self._on_publish, namespace, ctx)
        kept = {e.get("id") for e in out}
        self._deliver(segments, [json.dumps(e["payload"], ensure_ascii=False, separators=(",", ":")) for e in out])
        self.published += len(out)
        return {"successful": [{"identifier": e["id"], "index": e["index"]} for e in parsed if e["id"] in kept],
                "failed": failed}

    def _deliver(self, segments: list[str], texts: list[str]) -> None:
        for subscription in list(self._subscriptions.get(segments[0], ())):
            if _matches(subscription.segments, segments):
                for text in texts:
                    subscription.connection.send({"type": "data", "id": subscription.id, "event": text})

    async def http_publish(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            identity, mode = self._authenticate(dict(request.headers), request.method, str(request.url), body,
                                                request.remote)
        except AuthError as error:
            return web.json_response({"errors": [{"errorType": "UnauthorizedException", "message": error.message}]},
                                     status=401)
        try:
            document = json.loads(body or b"{}")
            answer = await self.publish(document.get("channel"), document.get("events"), identity, mode)
        except (ValueError, AttributeError):
            return web.json_response({"errors": [{"errorType": "BadRequestException",
                                                  "message": "the body is not {channel, events}"}]}, status=400)
        except EventRefused as refused:
            status = 401 if refused.error_type == "UnauthorizedException" else 400
            return web.json_response({"errors": refused.errors()}, status=status)
        return web.json_response(answer)

    # ---------------------------------------------------------------- WebSocket
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        if SUBPROTOCOL not in offered:
            return web.json_response({"errors": [{"errorType": "UnsupportedOperation",
                                                  "message": f"subprotocol {SUBPROTOCOL} required"}]}, status=400)
        header = next((p[len(HEADER_SUBPROTOCOL_PREFIX):] for p in offered if p.startswith(HEADER_SUBPROTOCOL_PREFIX)),
                      None)
        try:
            headers = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))) if header else {}
            identity, mode = self._authenticate(headers if isinstance(headers, dict) else {}, remote=request.remote)
        except (ValueError, binascii.Error, AuthError) as error:
            message = error.message if isinstance(error, AuthError) else "the header subprotocol is not base64url JSON"
            return web.json_response({"errors": [{"errorType": "UnauthorizedException", "message": message}]},
                                     status=401)
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), max_msg_size=MAX_FRAME_BYTES, autoping=True)
        await ws.prepare(request)
        connection = _Connection(ws, identity, mode, max_queued_bytes=self.max_outbox_bytes,
                                 on_overflow=self._disconnect_slow_consumer)
        writer = asyncio.ensure_future(connection.write())
        keepalive: asyncio.Future | None = None
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    connection.send({"type": "error", "errors": [{"errorType": "BadRequestException",
                                                                  "message": "frames are JSON"}]})
                    continue
                kind = frame.get("type") if isinstance(frame, dict) else None
                if kind == "connection_init":
                    connection.send({"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS})
                    if keepalive is None:
                        keepalive = asyncio.ensure_future(self._keepalive(connection))
                elif kind == "subscribe":
                    await self._subscribe(connection, frame)
                elif kind == "unsubscribe":
                    self._unsubscribe(connection, str(frame.get("id")))
                    connection.send({"type": "unsubscribe_success", "id": frame.get("id")})
                elif kind == "publish":
                    await self._ws_publish(connection, frame)
                else:
                    connection.send({"type": "error", "id": frame.get("id") if isinstance(frame, dict) else None,
                                     "errors": [{"errorType": "UnsupportedOperation",
                                                 "message": f"unknown message type {str(kind)[:40]!r}"}]})
                if connection.closed:
                    break
        finally:
            for subscription_id in list(connection.subscriptions):
                self._unsubscribe(connection, subscription_id)
            connection.closed = True
            connection.finish()
            if keepalive is not None:
                keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await ws.close()
        return ws

    def _disconnect_slow_consumer(self, connection: _Connection) -> None:
        """More than max_outbox_bytes queued: its subscriptions end, and it is closed with an error."""
        self.slow_consumers_disconnected += 1
        for subscription_id in list(connection.subscriptions):
            self._unsubscribe(connection, subscription_id)
        log.warning("closing an Event API connection that reads too slowly (over %d bytes queued)",
                    self.max_outbox_bytes)
        connection.abandon(json.dumps({"type": "error", "errors": [{
            "errorType": "SlowConsumer", "message": "the client read too slowly; reconnect"}]}))

    async def _keepalive(self, connection: _Connection) -> None:
        while not connection.closed:
            await asyncio.sleep(self.keepalive_seconds)
            connection.send({"type": "ka"})

    async def _subscribe(self, connection: _Connection, frame: dict[str, Any]) -> None:
        subscription_id = str(frame.get("id") or "")
        try:
            if not subscription_id or subscription_id in connection.subscriptions:
                raise EventRefused("BadRequestException", "a subscribe needs an id not in use on this connection")
            if len(connection.subscriptions) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
                raise EventRefused("MaxSubscriptionsReachedError",
                                   f"at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection")
            channel = frame.get("channel")
            segments = channel_segments(channel, subscribing=True)
            namespace = self._namespace(segments)
            identity, mode = connection.identity, connection.mode
            if isinstance(frame.get("authorization"), dict):
                identity, mode = self._authenticate(frame["authorization"])
            if mode not in namespace.subscribe_modes:
                raise EventRefused("UnauthorizedException", f"{mode} may not subscribe to {segments[0]!r}")
            ctx = self._context(namespace, channel, segments, identity, "SUBSCRIBE")
            await asyncio.get_running_loop().run_in_executor(self._pool, self._on_subscribe, namespace, ctx)
        except AuthError as error:
            connection.send({"type": "subscribe_error", "id": subscription_id,
                             "errors": [{"errorType": "UnauthorizedException", "message": error.message}]})
            return
        except EventRefused as refused:
            connection.send({"type": "subscribe_error", "id": subscription_id, "errors": refused.errors()})
            return
        subscription = _Subscription(subscription_id, segments, connection)
        connection.subscriptions[subscription_id] = subscription
        self._subscriptions.setdefault(segments[0], []).append(subscription)
        connection.send({"type": "subscribe_success", "id": subscription_id})

    def _unsubscribe(self, connection: _Connection, subscription_id: str) -> None:
        subscription = connection.subscriptions.pop(subscription_id, None)
        if subscription is not None:
            with contextlib.suppress(ValueError):
                self._subscriptions.get(subscription.segments[0], []).remove(subscription)

    async def _ws_publish(self, connection: _Connection, frame: dict[str, Any]) -> None:
        try:
            identity, mode = connection.identity, connection.mode
            if isinstance(frame.get("authorization"), dict):
                identity, mode = self._authenticate(frame["authorization"])
            answer = await self.publish(frame.get("channel"), frame.get("events"), identity, mode)
        except AuthError as error:
            connection.send({"type": "publish_error", "id": frame.get("id"),
                             "errors": [{"errorType": "UnauthorizedException", "message": error.message}]})
            return
        except EventRefused as refused:
            connection.send({"type": "publish_error", "id": frame.get("id"), "errors": refused.errors()})
            return
        connection.send({"type": "publish_success", "id": frame.get("id"), **answer})

    def subscribers(self, channel: str) -> int:
        """How many live subscriptions a publish to `channel` reaches (tests wait on it)."""
        segments = channel_segments(channel)
        return sum(1 for s in self._subscriptions.get(segments[0], ()) if _matches(s.segments, segments))
