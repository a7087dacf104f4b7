"""`chatstack local --state-dir`: what a restart keeps, what `kill -9` loses (nothing that was
acknowledged: moto saves on its parent's death), and that no process outlives the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from chatstack.local.session import LOCAL_PASSWORD, sign_up_and_in
from tests.project import REPO_ROOT

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
SEND = ("mutation S($m: String!) { sendMessage(roomId: \"kept\", message: $m) { messageId } }")
HISTORY = '{ getMessages(roomId: "kept", limit: 100) { items { messageId message } } }'


def serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, dict]:
    outputs = tmp_path / f"outputs-{time.monotonic_ns()}.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "chatstack.cli", "local", "--stack", "dev", "--port", "0", "--outputs", str(outputs),
         "--state-dir", str(tmp_path / "state"), *extra],
        cwd=REPO_ROOT, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not outputs.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no outputs.json within 60 s"
        time.sleep(0.05)
    return process, json.loads(outputs.read_text())


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


def graphql(outputs: dict, token: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(outputs["graphqlUrl"], method="POST",
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"Authorization": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def sign_in(outputs: dict, username: str) -> str:
    cognito = boto3.client("cognito-idp", endpoint_url=outputs["cognitoEndpoint"], region_name=outputs["region"],
                           aws_access_key_id="local", aws_secret_access_key="local")
    return cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": username, "PASSWORD": LOCAL_PASSWORD},
                                 )["AuthenticationResult"]["IdToken"]


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def test_kill_9_mid_load_loses_no_acknowledged_message_and_leaves_no_process(tmp_path):
    first, outputs = serve(tmp_path)
    try:
        moto = children(first.pid)
        assert len(moto) == 1 and alive(moto[0])
        token = sign_up_and_in(outputs, "keeper")["id"]
        acknowledged = [graphql(outputs, token, SEND, {"m": f"m{n}"})["data"]["sendMessage"]["messageId"]
                        for n in range(20)]
        first.send_signal(signal.SIGKILL)  # right after the last acknowledgement: no time to snapshot
        first.wait(10)
        deadline = time.monotonic() + 15
        while alive(moto[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(moto[0]), "moto outlived its parent"
    finally:
        if first.poll() is None:
            first.kill()
    second, again = serve(tmp_path)
    try:
        # the same pool and client (ids kept), the same users, every acknowledged message
        assert (again["userPoolId"], again["userPoolClientId"]) == (outputs["userPoolId"], outputs["userPoolClientId"])
        token = sign_in(again, "keeper")
        kept = {m["messageId"] for m in graphql(again, token, HISTORY)["data"]["getMessages"]["items"]}
        assert set(acknowledged) <= kept
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    assert second.returncode == 0
    third, fresh = serve(tmp_path, "--fresh")
    try:
        with pytest.raises(Exception, match="NotAuthorized|UserNotFound"):
            sign_in(fresh, "keeper")
    finally:
        third.send_signal(signal.SIGTERM)
        third.communicate(timeout=30)


def test_chatstack_local_options_reach_the_served_stack(monkeypatch):
    """--state-dir, --fresh and --max-connections are passed on, not parsed and dropped."""
    from chatstack import cli
    from chatstack.local import stack

    seen = {}
    monkeypatch.setattr(stack, "serve", lambda *args, **kwargs: seen.update(kwargs) or 0)
    assert cli.main(["local", "--stack", "dev", "--state-dir", "/tmp/kept", "--fresh",
                     "--max-connections", "7"]) == 0
    assert (seen["state_dir"], seen["fresh"], seen["max_connections"]) == ("/tmp/kept", True, 7)
