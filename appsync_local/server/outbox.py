"""A WebSocket connection's outgoing frames, bounded (both real-time endpoints: GraphQL and the
Event API).

Frames wait in the connection's outbox until its writer task sends them. A reader too slow for
its messages (more than max_queued_bytes waiting) is not given an ever-growing queue: the
endpoint abandons it (`abandon`), dropping what is queued and closing the socket with the
endpoint's own error frame; other connections never wait on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from aiohttp import web

MAX_OUTBOX_BYTES = 1024 * 1024  # queued for a connection but not yet written: more means a slow reader
SLOW_CONSUMER_CLOSE_CODE = 1008  # policy violation
CLOSE_TIMEOUT_SECONDS = 1.0


@dataclass(eq=False)
class QueuedConnection:
    ws: web.WebSocketResponse
    _: KW_ONLY
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    queued_bytes: int = 0
    max_queued_bytes: int = MAX_OUTBOX_BYTES
    closed: bool = False
    # Called once when the queue passes max_queued_bytes (the connection is closed by then).
    on_overflow: Callable[[Any], None] | None = None

    def send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        if self.closed:
            return
        self.queued_bytes += len(text)
        if self.queued_bytes > self.max_queued_bytes:
            # A reader this far behind gets disconnected, not an ever-growing queue.
            self.closed = True
            if self.on_overflow is not None:
                self.on_overflow(self)
            return
        self.outbox.put_nowait(text)

    def finish(self) -> None:
        """The writer stops once it has sent what is queued."""
        self.outbox.put_nowait(None)

    async def write(self) -> None:
        """The connection's writer task: send queued frames in order until finish() or abandon()."""
        while True:
            text = await self.outbox.get()
            if text is None or self.ws.closed:
                return
            self.queued_bytes -= len(text)
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def abandon(self, error_frame: str) -> None:
        """Drop what is queued, stop the writer and close the socket with `error_frame` (a slow
        reader: the frame goes out if the socket still takes it, else the socket is aborted)."""
        self.closed = True
        while not self.outbox.empty():
            self.outbox.get_nowait()
        self.queued_bytes = 0
        self.finish()
        asyncio.get_running_loop().create_task(_close_slow(self.ws, error_frame))


async def _close_slow(ws: web.WebSocketResponse, error_frame: str) -> None:
    try:
        await asyncio.wait_for(ws.send_str(error_frame), CLOSE_TIMEOUT_SECONDS)
        await asyncio.wait_for(ws.close(code=SLOW_CONSUMER_CLOSE_CODE, message=b"slow consumer"),
                               CLOSE_TIMEOUT_SECONDS)
    except (TimeoutError, ConnectionError, RuntimeError):
        pass
    finally:
        transport = ws._req.transport if ws._req is not None else None  # noqa: SLF001 - no public abort
        if transport is not None and not transport.is_closing():
            transport.abort()
