"""`chatstack local --state-dir`: what a restart keeps, what `kill -9` loses (nothing that was
acknowledged: moto saves on its parent's death), and that no process outlives the command."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
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


def start_refused(tmp_path: Path, *extra: str) -> str:
    """chatstack local that must refuse to start: its stderr."""
    process = subprocess.run(
        [sys.executable, "-m", "chatstack.cli", "local", "--stack", "dev", "--port", "0", "--no-web",
         "--outputs", str(tmp_path / "refused.json"), "--state-dir", str(tmp_path / "state"), *extra],
        cwd=REPO_ROOT, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=120)
    assert process.returncode == 1, process
    assert not (tmp_path / "refused.json").exists()
    return process.stderr


def test_state_and_log_are_readable_by_their_owner_only(tmp_path):
    process, outputs = serve(tmp_path, "--no-web")
    try:
        token = sign_up_and_in(outputs, "private")["id"]
        graphql(outputs, token, SEND, {"m": "kept"})
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    state = tmp_path / "state"
    stack_dir = REPO_ROOT / ".chatstack" / "dev"
    assert state.stat().st_mode & 0o777 == 0o700 and stack_dir.stat().st_mode & 0o777 == 0o700
    for path in (state / "moto.pickle", state / "state.key", stack_dir / "moto.log"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_a_planted_or_corrupted_state_file_is_refused_naming_it_and_fresh(tmp_path):
    marker = tmp_path / "planted-code-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    state = tmp_path / "state"
    state.mkdir()
    (state / "moto.pickle").write_bytes(pickle.dumps(Payload()))
    error = start_refused(tmp_path)
    assert not marker.exists(), "the planted file's code ran"
    assert str(state / "moto.pickle") in error and "--fresh" in error
    assert "not a chatstack state file" in error

    process, outputs = serve(tmp_path, "--no-web", "--fresh")  # --fresh: the way out it names
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    kept = (state / "moto.pickle").read_bytes()
    (state / "moto.pickle").write_bytes(kept[: len(kept) // 2])  # a torn file: the seal fails
    assert "seal does not verify" in start_refused(tmp_path)


def test_a_second_chatstack_local_on_the_same_state_dir_is_refused(tmp_path):
    first, outputs = serve(tmp_path, "--no-web")
    try:
        error = start_refused(tmp_path)
        assert f"in use by another chatstack local (pid {first.pid})" in error
        token = sign_up_and_in(outputs, "first")["id"]  # the first one serves on, untouched
        assert graphql(outputs, token, SEND, {"m": "still here"})["data"]["sendMessage"]["messageId"]
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    second, _ = serve(tmp_path, "--no-web")  # released with the first
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=30)


def test_when_moto_dies_chatstack_local_stops_and_says_why(tmp_path):
    process, _outputs = serve(tmp_path, "--no-web")
    try:
        (moto,) = children(process.pid)
        os.kill(moto, signal.SIGKILL)
        _out, error = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert f"database (moto, pid {moto}) exited" in error and "moto.log" in error


@pytest.fixture
def small_disk(tmp_path):
    """A 32 MB tmpfs: a file system that really fills (root only; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_with_the_disk_full_nothing_is_acknowledged_that_a_restart_loses(small_disk):
    process, outputs = serve(small_disk, "--no-web")
    acknowledged, refusals = [], []
    try:
        token = sign_up_and_in(outputs, "filler")["id"]

        def send(text: str) -> None:
            answer = graphql(outputs, token, SEND, {"m": text})
            if answer.get("data") and answer["data"]["sendMessage"]:
                acknowledged.append(answer["data"]["sendMessage"]["messageId"])
            else:
                refusals.append(answer["errors"][0]["message"])

        send("before")
        time.sleep(1.5)  # saved
        filler = small_disk / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * (1 << 20))
        for n in range(4):
            send(f"full {n}")
            time.sleep(0.8)
        assert refusals, "writes were acknowledged although none could be saved"
        assert any("cannot save its state" in r for r in refusals), refusals
        filler.unlink()
        time.sleep(1.5)
        count = len(acknowledged)
        send("after")
        assert len(acknowledged) == count + 1, refusals[-1]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    again, restarted = serve(small_disk, "--no-web")
    try:
        kept = {m["messageId"] for m in graphql(restarted, sign_in(restarted, "filler"), HISTORY)
                ["data"]["getMessages"]["items"]}
        assert set(acknowledged) <= kept
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=30)


def test_a_kept_state_follows_a_changed_config_and_says_so(tmp_path):
    """Served once without the password flow, then with it (as Pulumi.dev.yaml has it): the kept
    app client follows the config, so users sign in instead of failing every time."""
    first, outputs = serve(tmp_path, "--no-web", "--config", "allowPasswordAuth=false")
    try:
        from chatstack.local.session import admin_client

        cognito = admin_client(outputs)
        flows = cognito.describe_user_pool_client(UserPoolId=outputs["userPoolId"],
                                                  ClientId=outputs["userPoolClientId"])["UserPoolClient"]
        assert "ALLOW_USER_PASSWORD_AUTH" not in flows["ExplicitAuthFlows"]
        cognito.admin_create_user(UserPoolId=outputs["userPoolId"], Username="kept", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=outputs["userPoolId"], Username="kept",
                                        Password=LOCAL_PASSWORD, Permanent=True)
        with pytest.raises(Exception, match="not enabled|InvalidParameter|NotAuthorized"):
            sign_in(outputs, "kept")
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    outputs_path = tmp_path / "second.json"
    second = subprocess.Popen(
        [sys.executable, "-m", "chatstack.cli", "local", "--stack", "dev", "--port", "0", "--no-web",
         "--outputs", str(outputs_path), "--state-dir", str(tmp_path / "state")],
        cwd=REPO_ROOT, env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = second.stdout.readline()
            assert line, second.stderr.read()
            lines.append(line)
        again = json.loads(outputs_path.read_text())
        assert again["userPoolClientId"] == outputs["userPoolClientId"]
        assert any("kept state: app client ExplicitAuthFlows follow the stack's config now" in x for x in lines), lines
        assert sign_in(again, "kept")  # the kept user, the kept client, the flow the config allows
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
