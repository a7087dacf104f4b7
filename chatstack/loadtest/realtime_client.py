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
import json
import ssl
import uuid
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


def _first_error(frame: dict[str, Any]) -> tuple[str, str]:
    errors = (frame.get("payload") or {}).get("errors") or [{}]
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
        sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.ca_file} if self.ca_file else None
        self._ws = websocket.create_connection(
            f"{self.realtime_url}?header={header}&payload=e30=", subprotocols=[SUBPROTOCOL],
            timeout=self.timeout, sslopt=sslopt, enable_multithread=False,
        )
        self._send({"type": "connection_init"})
        ack = self._until({"connection_ack"})
        timeout_ms = (ack.get("payload") or {}).get("connectionTimeoutMs")
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
            if kind in ("connection_error", "error"):
                raise RealtimeError(*_first_error(frame))
