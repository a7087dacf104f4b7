"""Fixtures: an in-process moto DynamoDB table from the chat table design, and a runtime with a
deterministic clock and id factory."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from appsync_local.executor import LocalResolverRuntime
from appsync_local.manifest import ResolverManifest, load_manifest
from chatstack.planning.table_design import boto3_table_definition
from components.chat_api import resolver_environment
from tests.project import PROJECT

TABLE = "chat-test"
ENV = resolver_environment(TABLE, 3600, None)
START = 1_700_000_000.0


class FakeClock:
    """Epoch seconds; advances 1 ms on every reading so ids and timestamps are ordered."""

    def __init__(self, start: float = START, step: float = 0.001) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class SequentialIds:
    """ULID-shaped ids that sort in creation order: 26 digits."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.issued: list[tuple[str, str]] = []

    def __call__(self, kind: str) -> str:
        value = f"{next(self.counter):026d}"
        if kind == "uuid":
            value = f"00000000-0000-4000-8000-{value[-12:]}"
        self.issued.append((kind, value))
        return value


def user(username: str, groups: list[str] | None = None) -> dict:
    return {
        "sub": f"sub-{username}",
        "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
        "username": username,
        "claims": {"cognito:username": username},
        "sourceIp": ["127.0.0.1"],
        "defaultAuthStrategy": "ALLOW",
        "groups": groups,
    }


@pytest.fixture
def dynamodb() -> Iterator:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**boto3_table_definition(TABLE))
        yield client


@pytest.fixture
def manifest() -> ResolverManifest:
    return PROJECT.manifest()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()


@pytest.fixture
def runtime(manifest, dynamodb, clock, ids) -> LocalResolverRuntime:
    return LocalResolverRuntime(manifest, ENV, dynamodb, clock=clock, id_factory=ids)


def all_rows(client) -> list[dict]:
    return client.scan(TableName=TABLE)["Items"]


def write_manifest(tmp_path: Path, yaml_text: str, files: dict[str, str]) -> ResolverManifest:
    """A throwaway resolver manifest (for pipeline semantics the real resolvers do not exercise)."""
    for name, code in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    (tmp_path / "manifest.yaml").write_text(yaml_text, encoding="utf-8")
    return load_manifest(tmp_path / "manifest.yaml")
