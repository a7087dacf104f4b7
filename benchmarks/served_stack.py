"""Benchmark support: `chatstack local` in a child process (its RSS is the server's alone),
served from this checkout or from another revision's tree (a `git archive` of it), so a
benchmark can put today's code and a baseline side by side in one run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}
for _name, _value in LOCAL_CREDENTIALS.items():  # boto3 in this process talks to local Cognito only
    os.environ.setdefault(_name, _value)


def revision_tree(revision: str) -> Path:
    """The project as of `revision` (a git rev), unpacked into a temporary directory."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision],
                             check=True, capture_output=True).stdout
    target = Path(tempfile.mkdtemp(prefix=f"chatstack-{revision[:12]}-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


class ServedStack:
    """`chatstack local --stack STACK --port 0 [args]` from `tree`, until stop()."""

    def __init__(self, tree: Path = ROOT, stack: str = "dev", label: str = "current", args: tuple[str, ...] = ()):
        self.tree = tree
        self.args = args
        self.stack = stack
        self.label = label
        self.process: subprocess.Popen | None = None
        self.outputs: dict[str, Any] = {}

    def start(self, timeout: float = 120.0) -> dict[str, Any]:
        outputs = Path(tempfile.mkdtemp(prefix="chatstack-bench-")) / "outputs.json"
        env = {**os.environ, **LOCAL_CREDENTIALS, "PYTHONPATH": str(self.tree)}
        # The API is measured, not the web client (an archived revision has no web/node_modules).
        no_web = ("--no-web",) if "--no-web" in (self.tree / "chatstack" / "cli.py").read_text() else ()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatstack.cli", "local", "--stack", self.stack, "--port", "0",
             "--outputs", str(outputs), *no_web, *self.args],
            cwd=self.tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not outputs.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label}: chatstack local exited: {self.process.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label}: chatstack local not ready in {timeout:.0f} s")
            time.sleep(0.2)
        self.outputs = json.loads(outputs.read_text())
        return self.outputs

    def rss_mb(self) -> float:
        """The endpoint process's resident memory (moto runs in a child of its own)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def fresh_state_args() -> tuple[str, ...]:
    """For a checkout whose `chatstack local` keeps state: an empty state in a temporary directory."""
    return ("--state-dir", tempfile.mkdtemp(prefix="chatstack-bench-state-"), "--fresh")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
