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
    `cognitoEndpoint`, AWS's otherwise), able to make admin calls: locally it signs with the
    stack's `localAdmin` credential, the only one local Cognito's admin actions accept. One
    per process is enough: reuse it."""
    return admin_client(outputs, max_connections=max_connections)


def admin_client(outputs: dict[str, Any], service: str = "cognito-idp", max_connections: int = 10) -> Any:
    """A boto3 client for Cognito (or DynamoDB) signed with the stack's localAdmin credential
    when `outputs` has one (a local stack), with the default credentials otherwise (AWS)."""
    import boto3
    from botocore.config import Config

    endpoint = outputs.get("dynamodbEndpoint" if service == "dynamodb" else "cognitoEndpoint")
    admin = outputs.get("localAdmin") or {}
    credentials = {"aws_access_key_id": admin["accessKeyId"], "aws_secret_access_key": admin["secretAccessKey"]} \
        if admin else {}
    return boto3.client(service, endpoint_url=endpoint, region_name=outputs["region"], verify=outputs.get("tlsCaFile"),
                        config=Config(max_pool_connections=max_connections), **credentials)


def public_client(outputs: dict[str, Any]) -> Any:
    """A boto3 client for Cognito's public (unauthenticated) actions, unsigned."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.client("cognito-idp", endpoint_url=outputs.get("cognitoEndpoint"), region_name=outputs["region"],
                        config=Config(signature_version=UNSIGNED), verify=outputs.get("tlsCaFile"))


def srp_sign_in(outputs: dict[str, Any], username: str, password: str = LOCAL_PASSWORD,
                cognito: Any = None) -> dict[str, Any]:
    """USER_SRP_AUTH + PASSWORD_VERIFIER (the flow every stack's client allows); returns the
    AuthenticationResult (IdToken, AccessToken, RefreshToken)."""
    import time

    from chatstack.local.cognito_srp import SrpClient

    cognito = cognito or public_client(outputs)
    srp = SrpClient(outputs["userPoolId"], password)
    started = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_SRP_AUTH",
                                    AuthParameters={"USERNAME": username, "SRP_A": srp.a_hex})
    timestamp = time.strftime("%a %b %-d %H:%M:%S UTC %Y", time.gmtime())
    answered = cognito.respond_to_auth_challenge(
        ClientId=outputs["userPoolClientId"], ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(started["ChallengeParameters"], timestamp))
    return answered["AuthenticationResult"]


def sign_up_and_in(outputs: dict[str, Any], username: str, groups: tuple[str, ...] = (),
                   password: str = LOCAL_PASSWORD, cognito: Any = None, srp: bool = False) -> dict[str, str]:
    """SignUp + AdminConfirmSignUp (+ groups) against the Cognito in `outputs` (locally with its
    localAdmin credential), then a sign-in: USER_PASSWORD_AUTH (cheap; the client must allow
    it, as `dev` does) or, with `srp`, SRP (every client allows it). Returns the ID, access
    and refresh tokens."""
    cognito = cognito or cognito_client(outputs)
    try:
        cognito.sign_up(ClientId=outputs["userPoolClientId"], Username=username, Password=password,
                        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
        cognito.admin_confirm_sign_up(UserPoolId=outputs["userPoolId"], Username=username)
    except cognito.exceptions.UsernameExistsException:
        pass  # `chatstack local` keeps users across restarts: sign in again
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=outputs["userPoolId"], Username=username, GroupName=group)
    if srp:
        result = srp_sign_in(outputs, username, password, cognito)
    else:
        result = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": username, "PASSWORD": password}
                                       )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"], "refresh": result["RefreshToken"]}


def main(argv: list[str] | None = None) -> int:
    """`python -m chatstack.local.session OUTPUTS USERNAME [GROUP...]`: create a user, print its tokens."""
    import json
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m chatstack.local.session OUTPUTS_JSON USERNAME [GROUP...]", file=sys.stderr)
        return 2
    tokens = sign_up_and_in(json.loads(Path(args[0]).read_text()), args[1], groups=tuple(args[2:]), srp=True)
    print(json.dumps({"username": args[1], "password": LOCAL_PASSWORD, **tokens}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def verify_email(outputs: dict[str, Any], username: str, cognito: Any = None) -> None:
    """Mark the user's e-mail verified, as confirming sign-up with the e-mailed code does (the
    Authenticator otherwise asks an admin-confirmed user to verify a contact after sign-in)."""
    (cognito or cognito_client(outputs)).admin_update_user_attributes(
        UserPoolId=outputs["userPoolId"], Username=username,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}])
