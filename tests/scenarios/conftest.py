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
from tests.harness import served_stack
from tests.support import LoopThread, sign_up_and_in


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
    with served_stack("dev", keepalive_seconds=0.5) as stack:
        outputs = stack.outputs
        users = {
            "alice": sign_up_and_in(outputs, "alice"),
            "bob": sign_up_and_in(outputs, "bob"),
            "mod": sign_up_and_in(outputs, "mod", groups=("moderators",)),
            "mod2": sign_up_and_in(outputs, "mod2", groups=("moderators",)),
        }
        yield Served(stack.local, stack.loop, outputs, users)
