"""Test support: a local stack served from a background thread, Cognito users, raw WS clients."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from typing import Any

import boto3

PASSWORD = "Chat-password-1"
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class LoopThread:
    """An asyncio loop on its own thread: servers run there, tests talk to them over sockets."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-server-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def arun(self, coro: Any, timeout: float = 10.0) -> Any:
        """From another loop (a test's asyncio.run): await a coroutine on the server loop."""
        return await asyncio.wait_for(asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop)), timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


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
    return boto3.client("cognito-idp", endpoint_url=outputs["cognitoEndpoint"], region_name=outputs["region"])


def sign_up_and_in(outputs: dict[str, Any], username: str, groups: tuple[str, ...] = ()) -> dict[str, str]:
    """Normal Cognito APIs against local Cognito: sign_up, admin_confirm_sign_up, USER_PASSWORD_AUTH."""
    cognito = cognito_client(outputs)
    cognito.sign_up(ClientId=outputs["userPoolClientId"], Username=username, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    cognito.admin_confirm_sign_up(UserPoolId=outputs["userPoolId"], Username=username)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=outputs["userPoolId"], Username=username, GroupName=group)
    result = cognito.initiate_auth(
        ClientId=outputs["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}


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
