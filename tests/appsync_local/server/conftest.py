"""The dev stack served locally (real resolver runtime, moto on loopback), for this package.

Package scope: moto's backends are process-global, and other packages' `mock_aws`
fixtures reset them, so the served stack lives only while this package's tests run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import jwt
import pytest

from chatstack.local.stack import LocalStack
from tests.appsync_local.server.support import LoopThread, restore_env, set_dummy_aws_env, sign_up_and_in


@dataclass
class Served:
    local: LocalStack
    loop: LoopThread
    outputs: dict
    users: dict[str, dict[str, str]]

    def token(self, username: str) -> str:
        return self.users[username]["id"]

    def sub(self, username: str) -> str:
        """The user's stable id, which resolvers store as `sender`."""
        return jwt.decode(self.token(username), options={"verify_signature": False})["sub"]


@pytest.fixture(scope="package")
def served() -> Iterator[Served]:
    previous = set_dummy_aws_env()
    loop = LoopThread()
    local = LocalStack("dev", keepalive_seconds=0.5)
    try:
        outputs = loop.run(local.start())
        users = {
            "alice": sign_up_and_in(outputs, "alice"),
            "bob": sign_up_and_in(outputs, "bob"),
            "mod": sign_up_and_in(outputs, "mod", groups=("moderators",)),
            "mod2": sign_up_and_in(outputs, "mod2", groups=("moderators",)),
        }
        yield Served(local, loop, outputs, users)
    finally:
        loop.run(local.stop())
        loop.close()
        restore_env(previous)
