"""A blocking AppSync real-time client (graphql-ws over websocket-client), cooperative under
gevent's monkey-patching: what each simulated attendee in a Locust worker holds.

Protocol as AppSync documents it: connect to the real-time URL with `?header=<base64 JSON
{host, Authorization}>&payload=e30=` and the `graphql-ws` subprotocol; `connection_init` →
`connection_ack` {connectionTimeoutMs}; `start` {id, payload {data, extensions.authorization}}
→ `start_ack`, then `data` frames; `ka` keep-alives. A connection with no frame for
connectionTimeoutMs is dead (AppSync's rule for clients), reported as `ConnectionLost`.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import ssl
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import websocket

SUBPROTOCOL = "graphql-ws"


class RealtimeError(Exception):
    """A protocol-level refusal; `error_type` is AppSync's errorType (or the frame type)."""

    def __init__(self, error_type: str, message: str):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


class ConnectionLost(Exception):
    pass


# As Amplify's real-time client retries (amplify-js @aws-amplify/core Util/Retry: jitteredBackoff
# and api-graphql Providers/constants): attempt n waits 2^n x 100 ms plus up to 100 ms of jitter,
# and gives up once that wait would exceed MAX_DELAY_MS (5 s); an HTTP 400/401/403-class refusal
# is not retried.
RETRY_BASE_S = 0.1
RETRY_JITTER_S = 0.1
RETRY_MAX_DELAY_S = 5.0
NOT_RETRIED = ("Unauthorized", "BadRequest", "Forbidden", "Validation", "400", "401", "403")


def retry_delay(attempt: int, jitter: float) -> float | None:
    """Seconds to wait before retry number `attempt` (0-based), or None: give up.
    `jitter` is a random number in [0, 1)."""
    delay = 2 ** attempt * RETRY_BASE_S + jitter * RETRY_JITTER_S
    return None if delay > RETRY_MAX_DELAY_S else delay


def retryable(error: Exception) -> bool:
    """A refusal of who the client is or what it asked is final; anything else (a connection
    that failed, closed or timed out, a server error, a limit) may pass on the next try."""
    if isinstance(error, RealtimeError):
        return not any(word in error.error_type for word in NOT_RETRIED)
    return True


def _first_error(frame: dict[str, Any]) -> tuple[str, str]:
    """(errorType, message) of a refusal: in `payload` (GraphQL real-time) or beside it (Event API)."""
    errors = frame.get("errors") or (frame.get("payload") or {}).get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) and errors else {}
    return str(first.get("errorType") or frame.get("type")), str(first.get("message") or frame)


class RealtimeConnection:
    def __init__(self, realtime_url: str, graphql_url: str, token: str, ca_file: str | None = None,
                 timeout: float = 10.0):
        self.realtime_url = realtime_url
        self.authorization = {"host": urlparse(graphql_url).netloc, "Authorization": token}
        self.ca_file = ca_file
        self.timeout = timeout
        self.connection_timeout_s = 300.0
        self._ws: websocket.WebSocket | None = None

    def connect(self) -> None:
        header = base64.b64encode(json.dumps(self.authorization).encode()).decode()
        ack = self._open(f"{self.realtime_url}?header={header}&payload=e30=", [SUBPROTOCOL])
        self._keep_timeout((ack.get("payload") or {}).get("connectionTimeoutMs"))

    def _open(self, url: str, subprotocols: list[str]) -> dict[str, Any]:
        """Connects, sends connection_init; the connection_ack."""
        sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.ca_file} if self.ca_file else None
        self._ws = websocket.create_connection(url, subprotocols=subprotocols, timeout=self.timeout, sslopt=sslopt,
                                               enable_multithread=False)
        self._send({"type": "connection_init"})
        return self._until({"connection_ack"})

    def _keep_timeout(self, timeout_ms: Any) -> None:
        if isinstance(timeout_ms, (int, float)) and timeout_ms > 0:
            self.connection_timeout_s = timeout_ms / 1000

    def subscribe(self, query: str, variables: dict[str, Any]) -> str:
        subscription_id = str(uuid.uuid4())
        self._send({
            "id": subscription_id, "type": "start",
            "payload": {"data": json.dumps({"query": query, "variables": variables}),
                        "extensions": {"authorization": self.authorization}},
        })
        self._until({"start_ack"}, subscription_id)
        # From here on, a silent connection is a lost one.
        self._ws.settimeout(self.connection_timeout_s)
        return subscription_id

    def receive(self) -> dict[str, Any]:
        """The next frame other than a keep-alive."""
        while True:
            frame = self._recv()
            if frame.get("type") != "ka":
                return frame

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close(timeout=1)
            except Exception:  # closing a broken socket: nothing left to do
                pass
            self._ws = None

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def _recv(self) -> dict[str, Any]:
        try:
            raw = self._ws.recv()
        except websocket.WebSocketTimeoutException as error:
            raise ConnectionLost(f"no frame for {self.connection_timeout_s:.0f} s") from error
        except (websocket.WebSocketConnectionClosedException, OSError) as error:
            raise ConnectionLost(f"connection closed: {error}") from error
        if not raw:
            raise ConnectionLost("connection closed by the server")
        return json.loads(raw)

    def _until(self, wanted: set[str], subscription_id: str | None = None) -> dict[str, Any]:
        while True:
            frame = self._recv()
            kind = frame.get("type")
            if kind in wanted and (subscription_id is None or frame.get("id") == subscription_id):
                return frame
            if kind in ("connection_error", "subscribe_error", "error"):  # subscribe_error: the Event API's
                raise RealtimeError(*_first_error(frame))


EVENTS_SUBPROTOCOL = "aws-appsync-event-ws"


class EventsConnection(RealtimeConnection):
    """events stacks: the Event API's WebSocket protocol (the room's channel /rooms/<roomId>):
    `header-<base64url JSON>` beside the `aws-appsync-event-ws` subprotocol, `subscribe`
    {id, channel, authorization} → `subscribe_success` | `subscribe_error`, `data` {id, event}."""

    def __init__(self, realtime_url: str, events_url: str, token: str, ca_file: str | None = None,
                 timeout: float = 10.0):
        super().__init__(realtime_url, events_url, token, ca_file, timeout)

    def connect(self) -> None:
        header = base64.urlsafe_b64encode(json.dumps(self.authorization).encode()).decode().rstrip("=")
        ack = self._open(self.realtime_url, [EVENTS_SUBPROTOCOL, f"header-{header}"])
        self._keep_timeout(ack.get("connectionTimeoutMs"))

    def subscribe(self, query: str, variables: dict[str, Any]) -> str:
        """`query` is the channel; `variables` are not used."""
        subscription_id = str(uuid.uuid4())
        self._send({"id": subscription_id, "type": "subscribe", "channel": query, "authorization": self.authorization})
        self._until({"subscribe_success"}, subscription_id)
        self._ws.settimeout(self.connection_timeout_s)
        return subscription_id


class SubscribeFailed(Exception):
    """Connecting or subscribing failed for good (after retries): at which stage, when that
    attempt started, and why."""

    def __init__(self, stage: str, started: float, error: Exception) -> None:
        super().__init__(f"{stage}: {error}")
        self.stage = stage
        self.started = started
        self.error = error


# (stage "connect" | "subscribe", when it started, the error or None, whether it is retried)
Report = Callable[[str, float, Exception | None, bool], None]


def connect_and_subscribe(open_connection: Callable[[], RealtimeConnection], query: str, variables: dict[str, Any],
                          report: Report, sleep: Callable[[float], Any] = time.sleep,
                          jitter: Callable[[], float] = random.random) -> RealtimeConnection:
    """A subscribed connection, retrying failed attempts on retry_delay's schedule (as Amplify's
    client does); raises SubscribeFailed once retrying stops."""
    for attempt in itertools.count():
        stage, started, connection = "connect", time.time(), None
        try:
            connection = open_connection()
            connection.connect()
            report(stage, started, None, False)
            stage, started = "subscribe", time.time()
            connection.subscribe(query, variables)
            report(stage, started, None, False)
            return connection
        except Exception as error:  # any failure of either step: retried or final, never swallowed
            if connection is not None:
                connection.close()
            delay = retry_delay(attempt, jitter()) if retryable(error) else None
            report(stage, started, error, delay is not None)
            if delay is None:
                raise SubscribeFailed(stage, started, error) from error
            sleep(delay)
    raise AssertionError("itertools.count() ended")
