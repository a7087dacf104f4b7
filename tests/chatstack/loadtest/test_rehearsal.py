"""`chatstack loadtest` end to end against a served local stack: Locust processes, real Cognito
sign-ups, real WebSocket subscriptions, real sendMessage mutations. Small (tens of users, a
few seconds of sending): the point is that nothing is lost or duplicated, alone and spread
over a master and two workers on loopback, per message and batched."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import served_stack
from tests.project import REPO_ROOT
from tests.support import restore_env, set_dummy_aws_env

SCENARIO = ["--users", "30", "--spawn-rate", "30", "--senders", "3", "--messages-per-second", "6",
            "--duration", "4", "--headless", "--only-summary"]
SENT = 6 * 4  # messages/s x seconds


def _serve(tmp: Path, **options) -> Iterator[Path]:
    with served_stack("dev", outputs_dir=tmp, **options) as stack:
        yield stack.outputs_path


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    previous = set_dummy_aws_env()
    yield
    restore_env(previous)


@pytest.fixture(scope="module")
def dev_outputs(aws_env, tmp_path_factory) -> Iterator[Path]:
    yield from _serve(tmp_path_factory.mktemp("dev"))


BATCHED_OIDC = {"fanOutMode": "batched", "flushIntervalMs": "500", "attendeeAuth": "oidc"}


@pytest.fixture(scope="module")
def batched_oidc_outputs(aws_env, tmp_path_factory) -> Iterator[Path]:
    """The shape of finals-250k: batched fan-out, attendees signed in by the event platform."""
    directory = tmp_path_factory.mktemp("batched")
    yield from _serve(directory, state_dir=directory,
                      config_overrides={f"chatstack:{key}": value for key, value in BATCHED_OIDC.items()})


EVENTS = {"fanOutMode": "events", "flushIntervalMs": "500"}


@pytest.fixture(scope="module")
def events_outputs(aws_env, tmp_path_factory) -> Iterator[Path]:
    """An events stack: the batches through the Event API."""
    directory = tmp_path_factory.mktemp("events")
    yield from _serve(directory, state_dir=directory,
                      config_overrides={f"chatstack:{key}": value for key, value in EVENTS.items()})


def _loadtest(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "chatstack.cli", "loadtest", *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen, timeout: float = 90) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"loadtest did not finish:\n{output[-4000:]}")
    return output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _assert_complete(summary: dict, output: str, users: int = 30, sent: int = SENT) -> None:
    assert summary["passed"], output[-4000:]
    assert summary["messages"]["sent"] == sent
    assert summary["users"]["subscribed"] == summary["users"]["audience"] == users
    assert summary["expected"] == sent * users  # one room: everyone, senders included, gets everything
    assert summary["delivered"] == summary["expected"]
    assert summary["lost"] == summary["duplicated"] == summary["outOfOrder"] == summary["wrongRoom"] == 0
    latency = summary["latencyMs"]
    assert latency["samples"] == summary["delivered"]
    assert 0 <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert summary["errors"] == {}


def test_a_rehearsal_on_one_machine_delivers_every_message_once(dev_outputs, tmp_path):
    summary_path, csv_prefix, html = tmp_path / "out.json", tmp_path / "stats", tmp_path / "report.html"
    process = _loadtest("--stack", "dev", "--outputs", str(dev_outputs), *SCENARIO, "--json", str(summary_path),
                        "--csv", str(csv_prefix), "--html", str(html))
    output = _finish(process)
    assert process.returncode == 0, output[-4000:]
    summary = json.loads(summary_path.read_text())
    _assert_complete(summary, output)
    assert summary["workers"] == 1 and summary["subscription"] == "onSendMessage"
    assert summary["bytesPerDeliveredMessage"] > 0 and summary["meteredMessagesPerUpdate"] == 1  # < 5 kB each
    plan = summary["plan"]
    assert plan["expectedOutboundUpdatesPerSecond"] == 30 * 6  # perMessage: everyone gets every message
    assert plan["measuredOutboundUpdatesPerSecond"] == summary["updatesReceived"] / 4
    # Locust's own reports carry the per-delivery latency events.
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["onSendMessage delivery"]["Request Count"]) == summary["delivered"]
    assert int(rows["sendMessage"]["Request Count"]) == SENT
    assert "onSendMessage delivery" in html.read_text()


def test_a_master_and_two_workers_give_the_same_totals(dev_outputs, tmp_path):
    port = str(_free_port())
    summary_path = tmp_path / "out.json"
    master = _loadtest("--stack", "dev", "--outputs", str(dev_outputs), *SCENARIO, "--json", str(summary_path),
                       "--master", "--expect-workers", "2", "--master-bind-host", "127.0.0.1",
                       "--master-bind-port", port)
    workers = [_loadtest("--worker", "--master-host", "127.0.0.1", "--master-port", port) for _ in range(2)]
    output = _finish(master)
    worker_outputs = [_finish(worker, timeout=30) for worker in workers]
    assert master.returncode == 0, output[-4000:]
    assert [worker.returncode for worker in workers] == [0, 0], worker_outputs
    summary = json.loads(summary_path.read_text())
    _assert_complete(summary, output)
    assert summary["workers"] == summary["workersConnected"] == 2


def test_a_batched_oidc_stack_is_rehearsed_on_onMessageBatch_with_minted_tokens(batched_oidc_outputs, tmp_path):
    summary_path = tmp_path / "out.json"
    settings = [arg for key, value in BATCHED_OIDC.items() for arg in ("--config", f"{key}={value}")]
    process = _loadtest("--stack", "dev", *settings, "--outputs", str(batched_oidc_outputs),
                        "--oidc-state-dir", str(batched_oidc_outputs.parent), *SCENARIO, "--json", str(summary_path),
                        "--csv", str(tmp_path / "stats"))
    output = _finish(process)
    assert process.returncode == 0, output[-4000:]
    summary = json.loads(summary_path.read_text())
    _assert_complete(summary, output)
    assert summary["subscription"] == "onMessageBatch"
    # Several messages per update: each subscriber got fewer frames than messages.
    assert summary["updatesReceived"] < summary["delivered"]
    with open(tmp_path / "stats_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["attendee token"]["Request Count"]) == 30 and "sign-up + sign-in" not in rows


def test_a_deployed_style_rehearsal_takes_the_event_platforms_tokens_from_a_file(batched_oidc_outputs, tmp_path):
    """--attendee-tokens: one token per line, as an event platform would issue them for a rehearsal
    against AWS (here minted by the local issuer, read only from the file)."""
    from chatstack.local.oidc import attendee_token

    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(attendee_token(batched_oidc_outputs.parent, f"platform-{n}", f"Viewer {n}") + "\n"
                              for n in range(30)))
    settings = [arg for key, value in BATCHED_OIDC.items() for arg in ("--config", f"{key}={value}")]
    summary_path = tmp_path / "out.json"
    process = _loadtest("--stack", "dev", *settings, "--outputs", str(batched_oidc_outputs),
                        "--attendee-tokens", str(tokens), *SCENARIO, "--json", str(summary_path))
    output = _finish(process)
    assert process.returncode == 0, output[-4000:]
    _assert_complete(json.loads(summary_path.read_text()), output)
    # too few tokens for the audience: refused before Locust starts, naming the counts
    tokens.write_text(tokens.read_text().splitlines()[0] + "\n")
    process = _loadtest("--stack", "dev", *settings, "--outputs", str(batched_oidc_outputs),
                        "--attendee-tokens", str(tokens), *SCENARIO)
    output = _finish(process)
    assert process.returncode == 2 and "holds 1 tokens; the rehearsal needs one per attendee (--users 30)" in output


def test_a_missing_outputs_file_fails_before_locust_starts(tmp_path):
    process = _loadtest("--stack", "dev", "--outputs", str(tmp_path / "none.json"), "--headless")
    output = _finish(process, timeout=30)
    assert process.returncode == 2
    assert "--outputs" in output and "chatstack local --stack dev" in output and "Locust" not in output


def test_workers_need_no_stack_and_other_options_go_to_locust(tmp_path):
    from chatstack.cli import build_parser
    from chatstack.loadtest.command import locust_argv

    args, unknown = build_parser().parse_known_args(
        ["loadtest", "--worker", "--master-host", "10.0.0.5", "--master-port", "6000", "--processes", "4"])
    argv = locust_argv(args, REPO_ROOT, unknown)
    assert argv[2:] == ["--worker", "--master-host", "10.0.0.5", "--master-port", "6000", "--processes", "4"]
    assert os.path.basename(argv[1]) == "locustfile.py"


def test_an_events_stack_is_rehearsed_on_the_rooms_channels(events_outputs, tmp_path):
    summary_path = tmp_path / "out.json"
    settings = [arg for key, value in EVENTS.items() for arg in ("--config", f"{key}={value}")]
    process = _loadtest("--stack", "dev", *settings, "--outputs", str(events_outputs), *SCENARIO,
                        "--json", str(summary_path))
    output = _finish(process)
    assert process.returncode == 0, output[-4000:]
    summary = json.loads(summary_path.read_text())
    _assert_complete(summary, output)
    assert summary["subscription"] == "rooms channel" and summary["fanOutMode"] == "events"
    assert summary["updatesReceived"] < summary["delivered"]  # batches
    assert 0 < summary["bytesPerDeliveredMessage"] and "per delivered message" in output
