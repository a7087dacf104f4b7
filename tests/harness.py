"""The one way tests serve a stack: `served_stack(...)` starts a LocalStack on a loop thread of
its own (dummy AWS credentials in the environment, so nothing can reach AWS), yields it with
its outputs, and stops it however the test ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatstack.local.stack import LocalStack, write_outputs
from tests.support import LoopThread, restore_env, set_dummy_aws_env


@dataclass
class ServedStack:
    local: LocalStack
    loop: LoopThread
    outputs: dict[str, Any]
    outputs_path: Path | None = None  # outputs.json, when asked for (clients and Locust read it)


@contextmanager
def served_stack(stack: str = "dev", *, outputs_dir: Path | None = None, **options: Any) -> Iterator[ServedStack]:
    """`options` are LocalStack's (run=, config_overrides=, keepalive_seconds=, tls=, ...)."""
    previous = set_dummy_aws_env()
    loop = LoopThread()
    local = LocalStack(stack, **options)
    try:
        outputs = loop.run(local.start())
        path = None
        if outputs_dir is not None:
            path = outputs_dir / "outputs.json"
            write_outputs(path, outputs)
        yield ServedStack(local, loop, outputs, path)
    finally:
        loop.run(local.stop())
        loop.close()
        restore_env(previous)
