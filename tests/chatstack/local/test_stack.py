"""`chatstack local`: the stack materialised from the Pulumi program, and the command itself."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chatstack.local.program import FUNCTION, stack_environment
from chatstack.local.resources import (
    TABLE,
    USER_POOL,
    USER_POOL_CLIENT,
    table_definition,
    user_pool_client_definition,
    user_pool_definition,
)
from chatstack.local.stack import OUTPUT_KEYS, LocalStackError, write_outputs
from chatstack.planning import table_design
from tests.conftest import run_stack
from tests.project import PROJECT, REPO_ROOT

DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _sorted(definition: dict) -> dict:
    out = dict(definition)
    out["AttributeDefinitions"] = sorted(out["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    return out


def test_table_comes_from_the_registered_table_inputs(dev):
    create, ttl = table_definition(dev.one(TABLE))
    expected = table_design.boto3_table_definition(dev.outputs["tableName"])
    assert _sorted(create) == _sorted(expected)
    assert ttl == {"Enabled": True, "AttributeName": table_design.TTL_ATTRIBUTE}


def test_user_pool_and_client_come_from_the_registered_inputs(dev):
    pool = user_pool_definition(dev.one(USER_POOL))
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["Policies"]["PasswordPolicy"]["RequireSymbols"] is True
    assert pool["AliasAttributes"] == ["email"]
    client = user_pool_client_definition(dev.one(USER_POOL_CLIENT), "pool-id")
    assert client["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]  # dev allows it
    production = user_pool_client_definition(run_stack("finals-250k").one(USER_POOL_CLIENT), "pool-id")
    assert "ALLOW_USER_PASSWORD_AUTH" not in production["ExplicitAuthFlows"]


def test_env_is_read_back_from_the_rendered_code(dev):
    env = stack_environment(dev, PROJECT.manifest())
    assert env["TABLE_NAME"] == dev.outputs["tableName"]
    assert env["RETENTION_SECONDS"] == str(7 * 86_400)  # Pulumi.dev.yaml: retentionDays 7


def test_code_that_is_not_the_manifest_rendered_is_refused(dev):
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "code": r.inputs["code"] + "\n// drift"})
        if r.type == FUNCTION and r.inputs["name"] == "putMessage" else r
        for r in dev.resources
    ]
    with pytest.raises(LocalStackError, match="putMessage"):
        stack_environment(dataclasses.replace(dev, resources=resources), PROJECT.manifest())


def test_outputs_are_written_atomically(tmp_path):
    target = tmp_path / "a" / "outputs.json"
    write_outputs(target, {"k": 1})
    write_outputs(target, {"k": 2})
    assert json.loads(target.read_text()) == {"k": 2}
    assert [p.name for p in target.parent.iterdir()] == ["outputs.json"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _local(*args: str, stack: str = "dev") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chatstack.cli", "local", "--stack", stack, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **DUMMY_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_chatstack_local_serves_writes_outputs_and_stops_on_sigterm(tmp_path):
    outputs_path = tmp_path / "outputs.json"
    port = _free_port()
    process = _local("--port", str(port), "--outputs", str(outputs_path), "--state-dir", str(tmp_path / "state"),
                     "--no-web")
    try:
        deadline = time.monotonic() + 60
        while not outputs_path.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no outputs.json within 60 s"
            time.sleep(0.05)  # polling for the file, not asserting on time
        outputs = json.loads(outputs_path.read_text())
        assert set(outputs) == {*OUTPUT_KEYS, "cognitoEndpoint", "dynamodbEndpoint", "localAdmin"}
        assert outputs_path.stat().st_mode & 0o077 == 0  # it holds the localAdmin secret
        assert outputs["graphqlUrl"] == f"http://127.0.0.1:{port}/graphql"
        assert outputs["realtimeUrl"] == f"ws://127.0.0.1:{port}/graphql/realtime"
        assert outputs["tableName"] == "chatstack-dev-messages"
        assert outputs["cognitoEndpoint"].startswith("http://127.0.0.1:")
        import urllib.error
        import urllib.request

        request = urllib.request.Request(outputs["graphqlUrl"], data=b'{"query":"{ __typename }"}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as unauthorized:
            urllib.request.urlopen(request, timeout=5)
        assert unauthorized.value.code == 401
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert outputs["graphqlUrl"] in stdout
    assert "python -m chatstack.local.session" in stdout  # how to create a user
    assert "moto.log" in stdout
    assert "shutting down" in stdout
    with socket.socket() as again:  # nothing listens any more (TIME_WAIT is allowed, as for any restart)
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()


def test_the_printed_attendee_token_hint_runs_as_printed_from_another_directory(tmp_path):
    outputs_path = tmp_path / "outputs.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "chatstack.cli", "-C", str(REPO_ROOT), "local", "--stack", "dev", "--port", "0",
         "--config", "attendeeAuth=oidc", "--outputs", str(outputs_path), "--state-dir", str(tmp_path / "state"),
         "--no-web"],
        cwd=tmp_path, env={**os.environ, **DUMMY_ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hint = ""
        for line in process.stdout:  # the banner is flushed once the stack is ready
            if "by token: " in line:
                hint = line.split("by token: ", 1)[1].strip()
                break
        assert hint, process.communicate()
        printed = subprocess.run(hint, shell=True, cwd=tmp_path, env={**os.environ, **DUMMY_ENV},
                                 capture_output=True, text=True, timeout=60)
        assert printed.returncode == 0, printed.stderr
        token = printed.stdout.strip()
        graphql = json.loads(outputs_path.read_text())["graphqlUrl"]
        request = urllib.request.Request(graphql, data=b'{"query":"{ __typename }"}', method="POST",
                                         headers={"Authorization": token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # the served stack accepts it
            assert json.loads(response.read()) == {"data": {"__typename": "Query"}}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _local("--port", str(port), "--outputs", os.devnull + ".unused")
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"port {port}" in stderr and "already in use" in stderr
    assert not Path(os.devnull + ".unused").exists()


def test_an_unknown_stack_is_a_clear_error():
    process = _local("--port", "0", stack="nope")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "no stack 'nope'" in stderr
