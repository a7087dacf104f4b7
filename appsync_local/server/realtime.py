"""AppSync's real-time WebSocket protocol (`graphql-ws` subprotocol) and subscription fan-out.

Connection: `GET /graphql/realtime?header=<base64 JSON {host, Authorization}>&payload=e30=`, or (as
Amplify v6 and the aws-appsync links send it) no query and a `header-<base64url JSON>` entry in
`Sec-WebSocket-Protocol` next to `graphql-ws`; AppSync accepts both and answers `graphql-ws`.
Client `connection_init` → `connection_ack` {connectionTimeoutMs}, then `ka` periodically.
`start` {id, payload: {data: "<JSON query/variables>", extensions: {authorization}}} →
`start_ack` (after the subscription is registered), then `data`; `stop` → `complete`.
A frame the server cannot use gets an `error` (with the id when it has one); it never
closes the connection or touches other connections. Frame limits: a text frame over
MAX_FRAME_BYTES (AppSync's 240 KB payload limit) gets an `error` and is ignored; one over
MAX_WS_MESSAGE_BYTES is not even read: the connection is closed with 1009 (message too big).
A `start` before `connection_init` gets an `error` with its id.

Hostile-client limits: the `graphql-ws` subprotocol is required (anything else is refused
before the upgrade); a connection that sends no `connection_init` within
`connection_init_timeout` seconds is closed; at most `max_connections` connections are open
at once (more get a `connection_error`); a `start` that reuses a live subscription's id gets
AppSync's `DuplicatedOperationError` and the first subscription stays; a subscription ends
with AppSync's "Token has expired." error when the token that started it expires; and a
reader too slow for its messages (more than MAX_OUTBOX_BYTES queued) is disconnected with an
error instead of growing the server's memory.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from appsync_local.server.auth import EXPIRED, AuthError, Identity
from appsync_local.server.graphql_endpoint import GraphQLEndpoint, PreparedSubscription, request_error
from appsync_local.server.outbox import MAX_OUTBOX_BYTES, QueuedConnection

log = logging.getLogger("appsync_local.realtime")

SUBPROTOCOL = "graphql-ws"
HEADER_SUBPROTOCOL_PREFIX = "header-"
CONNECTION_TIMEOUT_MS = 300_000
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
MAX_FRAME_BYTES = 240 * 1024  # larger text frames get an error frame; the connection stays
MAX_WS_MESSAGE_BYTES = 1024 * 1024  # larger frames are not read: close 1009 (as the HTTP body limit)
CONNECTION_INIT_TIMEOUT_SECONDS = 10.0
MAX_CONNECTIONS = 1000


def _error_message(errors: list[dict[str, Any]], subscription_id: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "error", "payload": {"errors": errors}}
    if subscription_id is not None:
        message["id"] = subscription_id
    return message


def _protocol_error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "message": message}


def _decode_header(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        padded = raw + "=" * (-len(raw) % 4)
        decoded = json.loads(base64.b64decode(padded, altchars=b"-_" if ("-" in raw or "_" in raw) else None))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def connect_header(request: web.Request) -> dict[str, Any]:
    """The connect authorization: the `header` query parameter, else the subprotocol entry."""
    if request.query.get("header"):
        return _decode_header(request.query.get("header"))
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    for entry in (part.strip() for part in offered.split(",")):
        if entry.startswith(HEADER_SUBPROTOCOL_PREFIX):
            return _decode_header(entry[len(HEADER_SUBPROTOCOL_PREFIX):])
    return {}


def _authorization(headers: dict[str, Any]) -> str | None:
    for key, value in headers.items():
        if str(key).lower() == "authorization":
            return str(value)
    return None


# ---- enhanced subscription filters (extensions.setSubscriptionFilter) ------------------

def _lookup(payload: Any, dotted: str) -> tuple[bool, Any]:
    current = payload
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _rule_matches(payload: Any, rule: dict[str, Any]) -> bool:
    present, actual = _lookup(payload, str(rule.get("fieldName", "")))
    operator, expected = rule.get("operator"), rule.get("value")
    try:
        if operator == "eq":
            return present and actual == expected
        if operator == "ne":
            return not present or actual != expected
        if not present or actual is None:
            return operator in ("notContains", "notIn")
        if operator == "gt":
            return actual > expected
        if operator == "ge":
            return actual >= expected
        if operator == "lt":
            return actual < expected
        if operator == "le":
            return actual <= expected
        if operator == "between":
            return expected[0] <= actual <= expected[1]
        if operator == "in":
            return actual in expected
        if operator == "notIn":
            return actual not in expected
        if operator == "beginsWith":
            return isinstance(actual, str) and actual.startswith(expected)
        if operator == "contains":
            return expected in actual
        if operator == "notContains":
            return expected not in actual
        if operator == "containsAny":
            return isinstance(actual, list) and any(v in actual for v in expected)
    except TypeError:
        return False
    return False


def filter_matches(filter_spec: Any, payload: Any) -> bool:
    """Filters in a group are OR-ed; the rules inside one filter are AND-ed."""
    if isinstance(filter_spec, str):
        filter_spec = json.loads(filter_spec)
    groups = filter_spec.get("filterGroup", []) if isinstance(filter_spec, dict) else filter_spec
    if not groups:
        return True
    return any(all(_rule_matches(payload, rule) for rule in group.get("filters", [])) for group in groups)


def arguments_match(arguments: dict[str, Any], payload: Any) -> bool:
    """Basic filtering: every non-null subscription argument equals the published field.

    A field the mutation did not select is not in the payload, so it never matches.
    """
    if not isinstance(payload, dict):
        return False
    for name, value in arguments.items():
        if value is None:
            continue
        if name not in payload or payload[name] != value:
            return False
    return True


# ---- connections and the subscription registry ----------------------------------------

@dataclass(eq=False)
class Subscription:
    connection: Connection
    id: str
    prepared: PreparedSubscription
    identity: dict[str, Any] | None
    expires_at: float | None = None  # epoch seconds: when the starting token stops being valid


def token_expiry(identity: Any) -> float | None:
    """When the token stops being valid: its verifier says (`exp`, or earlier by OIDC's iatTTL /
    authTTL); `exp` for an identity made elsewhere."""
    valid_until = getattr(identity, "valid_until", None)
    if valid_until is not None:
        return float(valid_until)
    claims = getattr(identity, "claims", None)
    exp = claims.get("exp") if isinstance(claims, dict) else None
    try:
        return float(exp) if exp is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(eq=False)
class Connection(QueuedConnection):
    identity: Identity | None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    initialised: bool = False


class RealtimeServer:
    def __init__(
        self,
        endpoint: GraphQLEndpoint,
        verify: Callable[[str | None], Identity],
        *,
        keepalive_seconds: float = 60.0,
        max_connections: int = MAX_CONNECTIONS,
        connection_init_timeout: float = CONNECTION_INIT_TIMEOUT_SECONDS,
        max_outbox_bytes: int = MAX_OUTBOX_BYTES,
        clock: Callable[[], float] = time.time,
    ):
        self.endpoint = endpoint
        self.verify = verify
        self.keepalive_seconds = keepalive_seconds
        self.max_connections = max_connections
        self.connection_init_timeout = connection_init_timeout
        self.max_outbox_bytes = max_outbox_bytes
        self.clock = clock
        self.slow_consumers_disconnected = 0
        # Bumped whenever a subscription is added or removed; publish plans are cached per version.
        self._registry_version = 0
        self._publish_plans: dict[str, tuple[int, tuple[list, list]]] = {}
        self.connections: set[Connection] = set()
        self._changed = asyncio.Condition()
        self.delivered = 0

    # -- registry --

    def subscriptions(self, field_name: str | None = None, arguments: dict[str, Any] | None = None
                      ) -> list[Subscription]:
        """Registered subscriptions, optionally only on field_name and with these argument values."""
        return [
            s
            for c in list(self.connections)
            for s in list(c.subscriptions.values())
            if (field_name is None or s.prepared.field_name == field_name)
            and all(s.prepared.arguments.get(k) == v for k, v in (arguments or {}).items())
        ]

    async def wait_for_subscriptions(self, count: int, field_name: str | None = None, timeout: float = 5.0,
                                     arguments: dict[str, Any] | None = None) -> None:
        """Wait until at least `count` subscriptions (on field_name, with these arguments) are registered."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.subscriptions(field_name, arguments)) >= count), timeout
            )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _registry_changed(self) -> None:
        self._registry_version += 1

    def _publish_plan(self, subscription_field: str) -> tuple[list, list]:
        """The field's subscriptions, those filtered by plain arguments grouped by their argument
        values (one check per room, not per subscriber), and those with enhanced filters."""
        cached = self._publish_plans.get(subscription_field)
        if cached is not None and cached[0] == self._registry_version:
            return cached[1]
        groups: dict[str, tuple[dict[str, Any], list[Subscription]]] = {}
        enhanced: list[Subscription] = []
        for subscription in self.subscriptions(subscription_field):
            prepared = subscription.prepared
            if prepared.filter_group is not None:
                enhanced.append(subscription)
            else:
                key = json.dumps(prepared.arguments, sort_keys=True, default=str)
                groups.setdefault(key, (prepared.arguments, []))[1].append(subscription)
        plan = (list(groups.values()), enhanced)
        self._publish_plans[subscription_field] = (self._registry_version, plan)
        return plan

    def publish(self, subscription_field: str, payload: Any) -> int:
        """Deliver a published mutation result to every matching subscriber; returns the count."""
        groups, enhanced = self._publish_plan(subscription_field)
        matching = [s for arguments, members in groups if arguments_match(arguments, payload) for s in members]
        matching += [s for s in enhanced if filter_matches(s.prepared.filter_group, payload)]
        # The projection and its JSON depend only on the subscription's selection (its field
        # node: the parse cache shares one document per query text), so they are computed once
        # per distinct selection; each frame is then that text with the subscriber's id spliced
        # in: the same bytes as json.dumps of {"id", "type": "data", "payload": {"data"}}.
        encoded: dict[int, str] = {}
        now = self.clock()
        for subscription in matching:
            if subscription.expires_at is not None and subscription.expires_at <= now:
                self._expire(subscription)
                continue
            prepared = subscription.prepared
            key = id(prepared.field_node)
            body = encoded.get(key)
            if body is None:
                data = self.endpoint.subscription_data(prepared, payload)
                body = encoded[key] = json.dumps({"data": data}, separators=(",", ":"))
            subscription.connection.send_text(
                '{"id":' + json.dumps(subscription.id) + ',"type":"data","payload":' + body + "}")
        delivered = sum(1 for s in matching if s.expires_at is None or s.expires_at > now)
        self.delivered += delivered
        return delivered

    def _expire(self, subscription: Subscription) -> None:
        """The token that started it has expired: AppSync ends the subscription with an error."""
        connection = subscription.connection
        if connection.subscriptions.get(subscription.id) is subscription:
            del connection.subscriptions[subscription.id]
            self._registry_changed()
            connection.send(_error_message([{"errorType": "UnauthorizedException", "message": EXPIRED}],
                                           subscription.id))

    def expire_subscriptions(self) -> int:
        """End every subscription whose token has expired; returns how many."""
        now = self.clock()
        expired = [s for s in self.subscriptions() if s.expires_at is not None and s.expires_at <= now]
        for subscription in expired:
            self._expire(subscription)
        return len(expired)

    def invalidate(self, subscription_field: str, payload: Any) -> int:
        """extensions.invalidateSubscriptions: end subscriptions whose invalidation filter matches."""
        ended = 0
        for subscription in self.subscriptions(subscription_field):
            spec = subscription.prepared.invalidation_filter
            if spec is None or not filter_matches(spec, payload):
                continue
            subscription.connection.subscriptions.pop(subscription.id, None)
            self._registry_changed()
            subscription.connection.send({"id": subscription.id, "type": "complete"})
            ended += 1
        return ended

    async def close_all(self) -> None:
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await connection.ws.close()

    # -- protocol --

    async def handle(self, request: web.Request) -> web.StreamResponse:
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        if SUBPROTOCOL not in offered:
            # Without the subprotocol a client would speak something else: refuse the upgrade.
            return web.json_response({"errors": [{
                "errorType": "UnsupportedProtocol",
                "message": f"The WebSocket subprotocol must be {SUBPROTOCOL!r}."}]}, status=400)
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), heartbeat=None, max_msg_size=MAX_WS_MESSAGE_BYTES)
        await ws.prepare(request)
        if len(self.connections) >= self.max_connections:
            await self._refuse(ws, "LimitExceededError",
                               f"The endpoint allows at most {self.max_connections} connections.", 429)
            return ws
        header = connect_header(request)
        identity: Identity | None = None
        try:
            identity = self.verify(_authorization(header))
        except AuthError as error:
            await self._refuse(ws, "UnauthorizedException", error.message, 401)
            return ws
        connection = Connection(ws, identity, max_queued_bytes=self.max_outbox_bytes,
                                on_overflow=self._disconnect_slow_consumer)
        self.connections.add(connection)
        writer = asyncio.create_task(connection.write())
        init_deadline = asyncio.get_running_loop().call_later(
            self.connection_init_timeout, self._init_timed_out, connection)
        keepalive: asyncio.Task | None = None
        source_ip = request.remote or "127.0.0.1"
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    try:
                        started = await self._on_frame(connection, message.data, request, source_ip)
                    except Exception:  # a bad frame must never take the connection down
                        log.exception("frame failed")
                        connection.send(_error_message([_protocol_error(
                            "InternalFailure", "An internal failure occurred.")]))
                        started = None
                    if started == "ack" and keepalive is None:
                        init_deadline.cancel()
                        keepalive = asyncio.create_task(self._keepalive(connection))
                elif message.type == WSMsgType.BINARY:
                    connection.send(_error_message([_protocol_error(
                        "MessageProcessingError", "Binary frames are not supported; send JSON text frames.")]))
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            init_deadline.cancel()
            connection.closed = True
            connection.subscriptions.clear()
            self.connections.discard(connection)
            self._registry_changed()
            if keepalive is not None:
                keepalive.cancel()
            connection.finish()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 1.0)
            await self._notify()
        return ws

    @staticmethod
    async def _refuse(ws: web.WebSocketResponse, error_type: str, message: str, code: int) -> None:
        await ws.send_str(json.dumps({
            "type": "connection_error",
            "payload": {"errors": [{"errorType": error_type, "message": message, "errorCode": code}]},
        }))
        await ws.close()

    def _disconnect_slow_consumer(self, connection: Connection) -> None:
        """More than max_outbox_bytes queued: out of the registry, and closed with an error."""
        self.slow_consumers_disconnected += 1
        if connection.subscriptions:
            connection.subscriptions.clear()
            self._registry_changed()
        log.warning("closing a connection that reads too slowly (over %d bytes queued)", self.max_outbox_bytes)
        connection.abandon(json.dumps(_error_message([_protocol_error(
            "SlowConsumerError",
            f"The connection was closed: more than {connection.max_queued_bytes} bytes were waiting for it.")])))

    def _init_timed_out(self, connection: Connection) -> None:
        if connection.initialised or connection.closed:
            return
        connection.send({"type": "connection_error", "payload": {"errors": [{
            "errorType": "ConnectionInitTimeout",
            "message": f"No connection_init within {self.connection_init_timeout:g} s."}]}})
        connection.closed = True
        asyncio.get_running_loop().create_task(connection.ws.close())

    async def _keepalive(self, connection: Connection) -> None:
        while not connection.closed:
            connection.send({"type": "ka"})
            self.expire_subscriptions()
            await asyncio.sleep(self.keepalive_seconds)

    async def _on_frame(self, connection: Connection, text: str, request: web.Request, source_ip: str) -> str | None:
        if len(text) * 4 > MAX_FRAME_BYTES and len(text.encode("utf-8")) > MAX_FRAME_BYTES:
            connection.send(_error_message([_protocol_error(
                "LimitExceededError", f"A message may be at most {MAX_FRAME_BYTES} bytes.")]))
            return None
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep for the decoder
            connection.send(_error_message([_protocol_error(
                "MessageProcessingError", "Unable to parse the message as JSON.")]))
            return None
        if not isinstance(message, dict):
            connection.send(_error_message([_protocol_error(
                "MessageProcessingError", "A message is a JSON object with a type.")]))
            return None
        kind = message.get("type")
        raw_id = message.get("id")
        subscription_id = str(raw_id) if raw_id is not None else None
        if kind == "connection_init":
            connection.initialised = True
            connection.send({"type": "connection_ack", "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}})
            return "ack"
        if kind == "start":
            if subscription_id is None:
                connection.send(_error_message([_protocol_error("MessageProcessingError", "start needs an id.")]))
                return None
            if not connection.initialised:
                connection.send(_error_message([_protocol_error(
                    "MessageProcessingError", "Send connection_init before start.")], subscription_id))
                return None
            try:
                await self._start(connection, subscription_id, message.get("payload"), request, source_ip)
            except Exception as error:  # a broken request must never take the connection down
                log.exception("start %s failed", subscription_id)
                connection.send(_error_message([_protocol_error("InternalFailure", str(error))], subscription_id))
            return None
        if kind == "stop":
            if subscription_id is not None:
                connection.subscriptions.pop(subscription_id, None)
                self._registry_changed()
                connection.send({"id": subscription_id, "type": "complete"})
                await self._notify()
            return None
        label = kind if isinstance(kind, str) else "unknown"
        connection.send(_error_message(
            [_protocol_error("UnsupportedOperation", f"{label} not supported through the realtime channel")],
            subscription_id,
        ))
        return None

    async def _start(
        self, connection: Connection, subscription_id: str, payload: Any, request: web.Request, source_ip: str
    ) -> None:
        def fail(errors: list[dict[str, Any]]) -> None:
            connection.send(_error_message(errors, subscription_id))

        if not isinstance(payload, dict):
            fail([_protocol_error("MessageProcessingError", "start needs a payload object.")])
            return
        raw = payload.get("data")
        try:
            query_request = json.loads(raw) if isinstance(raw, str) else raw
        except (ValueError, RecursionError):  # RecursionError: a nesting bomb in payload.data
            query_request = None
        if not isinstance(query_request, dict):
            fail([_protocol_error("MessageProcessingError", "payload.data must be a JSON object (as a string).")])
            return
        authorization = (payload.get("extensions") or {}).get("authorization") or {}
        try:
            identity = self.verify(_authorization(authorization) if isinstance(authorization, dict) else None)
        except AuthError as error:
            fail([{"errorType": "UnauthorizedException", "message": error.message}])
            return
        if subscription_id in connection.subscriptions:
            # AppSync refuses a reused id; the subscription already registered under it stays.
            fail([_protocol_error("DuplicatedOperationError", f"Duplicated operation with id {subscription_id}")])
            return
        if len(connection.subscriptions) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            fail([_protocol_error("LimitExceededError",
                                  f"A connection may hold at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions.")])
            return
        headers = {str(k).lower(): str(v) for k, v in authorization.items()} if isinstance(authorization, dict) else {}
        context_identity = identity.as_context(source_ip)
        try:
            prepared, errors = await self.endpoint.prepare_subscription(
                query_request, identity=context_identity, groups=identity.groups, headers=headers,
                auth_mode=identity.auth_mode
            )
        except Exception as error:
            log.exception("subscription %s failed", subscription_id)
            fail([request_error(str(error), "InternalFailure")])
            return
        if prepared is None:
            fail(errors)
            return
        if connection.closed:
            return
        if subscription_id in connection.subscriptions:  # the same id started twice, concurrently
            fail([_protocol_error("DuplicatedOperationError", f"Duplicated operation with id {subscription_id}")])
            return
        connection.subscriptions[subscription_id] = Subscription(connection, subscription_id, prepared,
                                                                 context_identity, token_expiry(identity))
        self._registry_changed()
        # Registered before the ack: an event published after start_ack reaches this subscriber.
        connection.send({"id": subscription_id, "type": "start_ack"})
        await self._notify()
