"""Test support: a local stack served from a background thread, Cognito users, raw WS clients."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

from chatstack.local.session import LOCAL_PASSWORD as PASSWORD  # noqa: F401 (re-exported)
from chatstack.local.session import BackgroundLoop as LoopThread  # noqa: F401 (re-exported)
from chatstack.local.session import (
    admin_client,
    sign_up_and_in,  # noqa: F401 (re-exported)
)

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def set_dummy_aws_env() -> dict[str, str | None]:
    previous = {k: os.environ.get(k) for k in DUMMY_AWS_ENV}
    os.environ.update(DUMMY_AWS_ENV)
    return previous


def restore_env(previous: dict[str, str | None]) -> None:
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def cognito_client(outputs: dict[str, Any]) -> Any:
    """Local Cognito with the stack's localAdmin credential (admin actions need it)."""
    return admin_client(outputs)


def realtime_url(url: str, token: str | None, host: str = "local") -> str:
    header = {"host": host}
    if token is not None:
        header["Authorization"] = token
    encoded = base64.b64encode(json.dumps(header).encode()).decode()
    return f"{url}?header={encoded}&payload=e30="


def start_frame(subscription_id: str, query: str, variables: dict | None, token: str | None) -> str:
    authorization = {"host": "local"}
    if token is not None:
        authorization["Authorization"] = token
    return json.dumps({
        "id": subscription_id,
        "type": "start",
        "payload": {"data": json.dumps({"query": query, "variables": variables or {}}),
                    "extensions": {"authorization": authorization}},
    })


async def receive(ws: Any, timeout: float = 5.0, skip_ka: bool = True) -> dict[str, Any]:
    """The next JSON message on a raw aiohttp WebSocket (keep-alives skipped)."""
    while True:
        message = await asyncio.wait_for(ws.receive_json(), timeout)
        if not (skip_ka and message.get("type") == "ka"):
            return message


def run_async(coro: Any) -> Any:
    """Run a coroutine on a fresh loop without touching the thread's current loop.

    asyncio.run() would leave the main thread's loop unset, which breaks later code (Pulumi's
    mocks) that calls asyncio.get_event_loop().
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


ULID_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_time(ulid: str) -> str:
    """The ISO 8601 time in a ULID's first ten characters, as APPSYNC_JS's
    util.time.epochMilliSecondsToISO8601 writes it (Java's ISO instant: no fraction when the
    milliseconds are 0): what a message's createdAt is."""
    import datetime

    ms = 0
    for digit in ulid[:10].upper():
        ms = ms * 32 + ULID_DIGITS.index(digit)
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")
