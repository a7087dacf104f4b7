"""`chatstack loadtest` against `chatstack local --stack dev` at 100, 500 and 1,000 attendees,
Locust's spawn rate 50/s, in one process and as a master with two workers. Prints figures;
asserts nothing (exit 1 if a run lost, duplicated or reordered anything, or left someone out).

    .venv/bin/python benchmarks/rehearsal_ramp.py [--users 100 500 1000] [--spawn-rate 50]

The stack (this checkout, state kept as `make local` keeps it) runs in a child process; each
rehearsal signs its attendees up in local Cognito (real sign-ups and sign-ins), connects and
subscribes them, then 5 senders send 10 messages/s for 10 s. Per run: the connection ramp
achieved (subscriptions/s), users subscribed / failed, connect or subscribe attempts retried,
and deliveries lost, duplicated, out of order. Issue 31's target: at 1,000 attendees and 50/s,
single and distributed, every attendee subscribed and nothing lost.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served_stack import LOCAL_CREDENTIALS, ServedStack, fresh_state_args  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def rehearse(outputs: Path, users: int, spawn_rate: float, workers: int) -> dict:
    """One headless rehearsal (workers = 0: a single Locust process); its summary."""
    env = {**os.environ, **LOCAL_CREDENTIALS}
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "chatstack.cli", "loadtest", "--stack", "dev", "--outputs", str(outputs),
                   "--users", str(users), "--spawn-rate", str(spawn_rate), "--senders", "5",
                   "--messages-per-second", "10", "--duration", "10", "--headless", "--only-summary",
                   "--json", str(summary_path)]
        processes = []
        if workers:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            command += ["--master", "--expect-workers", str(workers), "--master-bind-port", str(port)]
            processes = [subprocess.Popen([sys.executable, "-m", "chatstack.cli", "loadtest", "--worker",
                                           "--master-port", str(port)], cwd=REPO, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for _ in range(workers)]
        started = time.monotonic()
        master = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, timeout=600)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return {"summary": summary, "exit": master.returncode, "seconds": time.monotonic() - started,
            "stderr": master.stderr[-2000:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--spawn-rate", type=float, default=50.0)
    args = parser.parse_args()
    stack = ServedStack(label="current", args=(*fresh_state_args(), "--max-connections", "5000"))
    outputs_json = stack.start()
    outputs = Path(tempfile.mkdtemp(prefix="chatstack-ramp-")) / "outputs.json"
    outputs.write_text(json.dumps(outputs_json))
    rows = []
    try:
        for users in args.users:
            for workers in (0, 2):
                rows.append((users, workers, rehearse(outputs, users, args.spawn_rate, workers)))
    finally:
        stack.stop()
    print(f"chatstack loadtest vs chatstack local --stack dev, spawn rate {args.spawn_rate:g}/s, 5 senders x 10 "
          f"msg/s for 10 s; {os.cpu_count()} CPUs shared by the stack and Locust")
    print(f"  {'attendees':>9} {'processes':>18} {'ramp /s':>8} {'subscribed':>11} {'failed':>7} {'retried':>8} "
          f"{'delivered':>10} {'lost':>5} {'dup':>4} {'order':>6} {'p99 ms':>7} {'passed':>7}")
    ok = True
    for users, workers, result in rows:
        summary = result["summary"]
        if not summary:
            print(f"  {users:>9} {'no summary':>18} (exit {result['exit']}): {result['stderr'][-300:]}")
            ok = False
            continue
        people, ramp = summary["users"], summary["connectionRamp"]
        processes = "1" if not workers else f"master + {workers} workers"
        print(f"  {users:>9} {processes:>18} {ramp['achievedPerSecond'] or 0:>8.1f} {people['subscribed']:>11,} "
              f"{people['failed']:>7,} {people.get('retried', 0):>8,} {summary['delivered']:>10,} "
              f"{summary['lost']:>5,} {summary['duplicated']:>4,} {summary['outOfOrder']:>6,} "
              f"{summary['latencyMs']['p99'] or 0:>7.0f} {'yes' if summary['passed'] else 'NO':>7}")
        ok = ok and summary["passed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
