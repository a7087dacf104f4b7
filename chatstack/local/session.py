"""Driving a local stack from Python (tests, benchmarks): the stack's asyncio loop on a
background thread, and users signed up and in through local Cognito's normal APIs."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

LOCAL_PASSWORD = "Chat-password-1"


class BackgroundLoop:
    """An asyncio loop on its own thread: the local stack serves there, callers talk to it
    over sockets or submit coroutines."""

    def __init__(self, name: str = "local-stack-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 120.0) -> Any:
        """From a plain thread: run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def arun(self, coro: Any, timeout: float = 10.0) -> Any:
        """From another event loop: await a coroutine run on this loop."""
        return await asyncio.wait_for(asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop)), timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def cognito_client(outputs: dict[str, Any], max_connections: int = 10) -> Any:
    """A Cognito client for the user pool in `outputs` (the local one when it names a
    `cognitoEndpoint`, AWS's otherwise). One per process is enough: reuse it."""
    import boto3
    from botocore.config import Config

    return boto3.client("cognito-idp", endpoint_url=outputs.get("cognitoEndpoint"), region_name=outputs["region"],
                        config=Config(max_pool_connections=max_connections))


def sign_up_and_in(outputs: dict[str, Any], username: str, groups: tuple[str, ...] = (),
                   password: str = LOCAL_PASSWORD, cognito: Any = None) -> dict[str, str]:
    """sign_up + admin_confirm_sign_up (+ groups) + USER_PASSWORD_AUTH against the
    Cognito in `outputs`; returns the ID and access tokens."""
    cognito = cognito or cognito_client(outputs)
    cognito.sign_up(ClientId=outputs["userPoolClientId"], Username=username, Password=password,
                    UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    cognito.admin_confirm_sign_up(UserPoolId=outputs["userPoolId"], Username=username)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=outputs["userPoolId"], Username=username, GroupName=group)
    result = cognito.initiate_auth(
        ClientId=outputs["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}
