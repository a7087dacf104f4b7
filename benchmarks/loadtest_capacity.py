"""How many simulated attendees one Locust worker process holds, measured on this machine.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/loadtest_capacity.py [--small 100] [--large 1000] [--rate 20]

Serves the dev stack locally (in this process) and runs `chatstack loadtest --headless` (one
Locust process: users, senders and conductor) against it several times, sampling the Locust
process's memory (RSS) and CPU time with psutil:

- memory per connection: (peak RSS with --large users − with --small users) / (large − small),
  a run with one message so that almost nothing but connections is held;
- CPU per delivery: (CPU seconds of a run that sends − of the same run with one message) /
  deliveries, per message (onSendMessage) and batched (onMessageBatch, 1 s flushes);
- connections per worker process for an event: the smaller of the memory bound
  (WORKER_MEMORY_BUDGET_MB) and the CPU bound (CPU_BUDGET of one core divided by each
  connection's deliveries per second at the event's rate).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatstack.local.session import BackgroundLoop  # noqa: E402 (after the path)

REPO = Path(__file__).resolve().parents[1]
WORKER_MEMORY_BUDGET_MB = 1024  # what to give one worker process on a load machine
CPU_BUDGET = 0.7  # of one core: Locust warns above 90 % and latency figures suffer before that


def rehearse(outputs: Path, users: int, senders: int, rate: float, duration: float, extra: list[str]) -> dict:
    """One headless run; returns the summary plus the Locust process's peak RSS and CPU time."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "chatstack.cli", "loadtest", "--stack", "dev", "--outputs", str(outputs),
             "--users", str(users), "--spawn-rate", str(min(users, 100)), "--senders", str(senders),
             "--messages-per-second", str(rate), "--duration", str(duration), "--headless", "--only-summary",
             "--json", str(summary_path), *extra],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        watched = psutil.Process(process.pid)
        peak_rss, cpu = 0, 0.0
        while process.poll() is None:
            try:
                peak_rss = max(peak_rss, watched.memory_info().rss)
                times = watched.cpu_times()
                cpu = times.user + times.system
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return {"summary": summary, "peakRssMb": peak_rss / 2**20, "cpuSeconds": cpu, "exit": process.returncode}


def serve(stack_config: dict[str, str], directory: Path) -> tuple:
    from chatstack.local.stack import LocalStack, write_outputs

    loop = BackgroundLoop()
    local = LocalStack("dev", config_overrides=dict(stack_config), state_dir=directory)
    outputs = loop.run(local.start())
    path = directory / "outputs.json"
    write_outputs(path, outputs)
    return loop, local, path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100, help="users in the small memory run")
    parser.add_argument("--large", type=int, default=1000, help="users in the large memory run")
    parser.add_argument("--cpu-users", type=int, default=200, help="users in the CPU runs")
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s in the CPU runs")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending in the CPU runs")
    args = parser.parse_args()
    for key, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    print(f"machine: {os.cpu_count()} CPUs; the local stack and the Locust process share them")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, config in (("perMessage", {}), ("batched", {"fanOutMode": "batched"})):
            # OIDC attendees: tokens minted in the Locust process, so the ramp is not paced by the
            # local Cognito (~30 sign-ups/s here) and the figures are the client's own.
            config = {**config, "attendeeAuth": "oidc"}
            directory = Path(tmp) / mode
            directory.mkdir()
            loop, local, outputs = serve({f"chatstack:{k}": v for k, v in config.items()}, directory)
            extra = [a for k, v in config.items() for a in ("--config", f"{k}={v}")]
            extra += ["--oidc-state-dir", str(directory)]
            try:
                if mode == "perMessage":
                    for users in (args.small, args.large):
                        results[f"memory {users}"] = rehearse(outputs, users, 1, 1.0, 1.0, extra)
                idle = rehearse(outputs, args.cpu_users, 1, 1.0, 1.0, extra)
                busy = rehearse(outputs, args.cpu_users, 5, args.rate, args.duration, extra)
                results[f"cpu {mode} idle"], results[f"cpu {mode} busy"] = idle, busy
            finally:
                loop.run(local.stop())
                loop.close()

    for name, result in results.items():
        summary = result["summary"]
        print(f"  run {name}: exit {result['exit']}, users {summary.get('users')}, errors {summary.get('errors')}")
    small, large = results[f"memory {args.small}"], results[f"memory {args.large}"]
    per_connection_kb = (large["peakRssMb"] - small["peakRssMb"]) * 1024 / (args.large - args.small)
    print(f"memory: {args.small} users peak RSS {small['peakRssMb']:.0f} MB, {args.large} users "
          f"{large['peakRssMb']:.0f} MB -> {per_connection_kb:.0f} KB per connection "
          f"(all subscribed: {small['summary'].get('users', {}).get('subscribed')}, "
          f"{large['summary'].get('users', {}).get('subscribed')}; ramp "
          f"{large['summary'].get('connectionRamp', {}).get('achievedPerSecond')}/s)")
    cpu_per_delivery = {}
    for mode in ("perMessage", "batched"):
        idle, busy = results[f"cpu {mode} idle"], results[f"cpu {mode} busy"]
        extra_deliveries = busy["summary"]["delivered"] - idle["summary"]["delivered"]
        cpu_per_delivery[mode] = (busy["cpuSeconds"] - idle["cpuSeconds"]) / extra_deliveries
        print(f"cpu {mode}: {busy['summary']['delivered']:,}/{busy['summary']['expected']:,} delivered "
              f"({busy['summary']['updatesReceived']:,} updates), {busy['cpuSeconds']:.1f} s CPU vs "
              f"{idle['cpuSeconds']:.1f} s with one message -> {cpu_per_delivery[mode] * 1e6:.0f} µs per delivery, "
              f"{1 / cpu_per_delivery[mode]:,.0f} deliveries per CPU-second; latency p50/p99 "
              f"{busy['summary']['latencyMs']['p50']}/{busy['summary']['latencyMs']['p99']} ms; "
              f"passed {busy['summary']['passed']}")

    memory_bound = int(WORKER_MEMORY_BUDGET_MB * 1024 / per_connection_kb)
    print(f"connections per worker process within {WORKER_MEMORY_BUDGET_MB} MB: {memory_bound:,}")
    for label, mode, deliveries_per_connection in (
        ("finals-250k (batched, 50 msg/s, every message reaches every connection)", "batched", 50.0),
        ("per-message room at 2 msg/s", "perMessage", 2.0),
    ):
        cpu_bound = int(CPU_BUDGET / (cpu_per_delivery[mode] * deliveries_per_connection))
        per_worker = min(memory_bound, cpu_bound)
        print(f"{label}: CPU bound {cpu_bound:,} connections per worker process ({CPU_BUDGET:.0%} of a core), "
              f"memory bound {memory_bound:,} -> {per_worker:,} per process; 250,000 connections need "
              f"{-(-250_000 // per_worker):,} worker processes (one per core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
