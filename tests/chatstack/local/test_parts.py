"""The local stack as an ordered list of parts: a feature adds a part (its routes, its outputs,
its stop), and a start that fails part-way stops what had started."""

from __future__ import annotations

import urllib.request

import pytest

from chatstack.local.parts import EndpointPart, MotoPart, default_parts
from chatstack.local.stack import LocalStack, LocalStackError
from tests.support import LoopThread, restore_env, set_dummy_aws_env


@pytest.fixture()
def aws_env():
    previous = set_dummy_aws_env()
    yield
    restore_env(previous)


class Recorder:
    """A part of a test's own: says when it starts and stops, serves a route, adds an output."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def start(self, stack) -> None:
        assert stack.runtime is not None  # what the parts before it made is on the stack
        self.log.append("start")

    def routes(self, stack, app) -> None:
        from aiohttp import web

        async def hello(_request):
            return web.Response(text=f"hello from {stack.stack}")

        app.router.add_get("/recorder", hello)

    def outputs(self, stack) -> dict:
        return {"recorderUrl": f"{stack.http_origin}/recorder"}

    async def stop(self, stack) -> None:
        self.log.append("stop")


def test_a_feature_is_a_part_with_routes_outputs_and_a_stop(aws_env, tmp_path):
    log: list[str] = []
    parts = default_parts()
    parts.insert(next(i for i, p in enumerate(parts) if isinstance(p, EndpointPart)), Recorder(log))
    loop = LoopThread()
    local = LocalStack("dev", state_dir=tmp_path, parts=parts)
    try:
        outputs = loop.run(local.start())
        with urllib.request.urlopen(outputs["recorderUrl"], timeout=5) as response:
            assert response.read() == b"hello from dev"
        assert {"graphqlUrl", "userPoolId", "dynamodbEndpoint"} <= set(outputs)
    finally:
        loop.run(local.stop())
        loop.close()
    assert log == ["start", "stop"]


class Failing:
    async def start(self, stack) -> None:
        raise LocalStackError("this part cannot start")

    def outputs(self, stack) -> dict:
        return {}

    async def stop(self, stack) -> None:
        raise AssertionError("a part that did not start is not stopped")


def test_a_failed_start_stops_the_parts_that_started(aws_env, tmp_path):
    parts = default_parts()
    moto = next(p for p in parts if isinstance(p, MotoPart))
    parts.insert(parts.index(moto) + 1, Failing())
    loop = LoopThread()
    local = LocalStack("dev", state_dir=tmp_path, parts=parts)
    try:
        with pytest.raises(LocalStackError, match="cannot start"):
            loop.run(local.start())
        process = moto.process.process
        loop.run(local.stop())
        assert process.poll() is not None and moto.process is None  # moto's process is gone
    finally:
        loop.close()
