"""The local stack next to a baseline revision and next to amplify-appsync-simulator, on the
same workload, in one run (rotated rounds; medians and ranges). Prints figures and ratios;
asserts nothing.

    .venv/bin/python benchmarks/versus.py [--baseline REV] [--rounds 3] [--seconds 10]
        [--subscribers 500] [--messages 20] [--rooms 10] [--no-simulator]

Targets, each served once in a process of its own:
- **current**: this checkout's `chatstack local --stack dev`, state kept (crash-safe, `--state-dir`);
- **baseline**: the same from a `git archive` of REV (default: main when issue 31 was filed);
- **simulator**: amplify-appsync-simulator (benchmarks/simulator: `npm ci` on first use)
  serving the same three operations as VTL unit resolvers, its DynamoDB data source on
  moto's own server. It checks no token signature and runs no moderation, so it does less
  per mutation than the local stack (validate, moderation read, review, put).

Per round and target:
- **mutations**: 8 writers send `sendMessage` back to back (each its own user and
  connection) while one reader sends `getMessages`: mutations/s, mutation p99, reader p99;
- **deliveries**: `benchmarks/realtime_load.py`'s clients (one child process) subscribe N
  WebSockets over R rooms, one publisher per room sends M `sendMessage`s: deliveries/s, p99
  (mutation request -> subscriber), and whether each subscriber got its room's messages
  exactly once, in order.

Issue 31's targets: >= 2.5x the baseline's 8-way mutations/s with crash-safe state on,
8-way mutation p99 under 50 ms, WebSocket p99 not behind the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.realtime_load import run_clients  # noqa: E402
from benchmarks.served_stack import ServedStack, fresh_state_args, revision_tree  # noqa: E402
from benchmarks.throughput import load as mutations  # noqa: E402
from chatstack.local.session import sign_up_and_in  # noqa: E402

BASELINE = "0f080b5"  # main when issue 31 was filed
SIMULATOR_DIR = Path(__file__).resolve().parent / "simulator"
TABLE = "chat"
TARGETS = {"mutations_ratio": 2.5, "mutation_p99_ms": 50.0}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Simulator:
    """amplify-appsync-simulator (Node) with moto's stock server as its DynamoDB."""

    label = "simulator"

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def start(self) -> dict[str, Any]:
        import boto3

        if not (SIMULATOR_DIR / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=SIMULATOR_DIR, check=True)
        moto_port = _free_port()
        self.processes.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(moto_port)],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        endpoint = f"http://127.0.0.1:{moto_port}"
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="local", aws_secret_access_key="local")
        deadline = time.monotonic() + 30
        while True:
            try:
                dynamodb.create_table(
                    TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "sk", "AttributeType": "S"}])
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        node = subprocess.Popen(["node", str(SIMULATOR_DIR / "serve.cjs"), str(_free_port()), endpoint, TABLE],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.processes.append(node)
        return json.loads(node.stdout.readline())

    def token(self, name: str) -> str:
        """An unsigned Cognito-shaped ID token: the simulator decodes tokens, it does not verify them."""
        parts = ({"alg": "RS256", "kid": "x"},
                 {"sub": name, "cognito:username": name, "token_use": "id", "exp": int(time.time()) + 3600,
                  "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local"})
        encoded = [base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts]
        return ".".join(encoded) + ".c2ln"

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


class Local:
    def __init__(self, stack: ServedStack) -> None:
        self.stack = stack
        self.label = stack.label
        self.outputs: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        self.outputs = self.stack.start()
        return self.outputs

    def token(self, name: str) -> str:
        return sign_up_and_in(self.outputs, name)["id"]

    def stop(self) -> None:
        self.stack.stop()


def measure(target: Any, tokens: dict[str, Any], args: argparse.Namespace) -> dict[str, float]:
    outputs = target.outputs
    figures = asyncio.run(mutations(outputs["graphqlUrl"], tokens["writers"], tokens["reader"], args.seconds))
    params = {"subscribers": args.subscribers, "messages": args.messages, "rooms": args.rooms, "drain_seconds": 30.0}
    realtime = run_clients({"kind": "local", "token": tokens["reader"], **outputs}, params)
    exact = (realtime["delivered"] == realtime["expected"] and not realtime["lost"] and not realtime["duplicated"]
             and not realtime["reordered_subscribers"])
    return {**figures, "deliveries_per_s": realtime["deliveries_per_s"], "delivery_p99_ms": realtime["p99_ms"],
            "exact": float(exact), "lost": realtime["lost"], "duplicated": realtime["duplicated"],
            "reordered": realtime["reordered_subscribers"]}


COLUMNS = (("mutations_per_s", "mutations/s", "{:.0f}"), ("mutation_p99_ms", "mutation p99 ms", "{:.1f}"),
           ("reader_p99_ms", "reader p99 ms", "{:.1f}"), ("deliveries_per_s", "deliveries/s", "{:,.0f}"),
           ("delivery_p99_ms", "delivery p99 ms", "{:.1f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="of mutations per round")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--messages", type=int, default=20, help="per room")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--no-simulator", action="store_true")
    args = parser.parse_args()
    targets = [Local(ServedStack(label="current", args=fresh_state_args())),
               Local(ServedStack(revision_tree(args.baseline), label=f"baseline {args.baseline}",
                                 args=fresh_state_args()))]
    if not args.no_simulator:
        targets.append(Simulator())
    results: dict[str, list[dict[str, float]]] = {t.label: [] for t in targets}
    try:
        tokens = {}
        for target in targets:
            target.outputs = target.start()
            tokens[target.label] = {"writers": [target.token(f"writer{i}") for i in range(args.writers)],
                                    "reader": target.token("reader")}
            asyncio.run(mutations(target.outputs["graphqlUrl"], tokens[target.label]["writers"],
                                  tokens[target.label]["reader"], 2.0))  # warm up
        for n in range(args.rounds):
            order = targets[n % len(targets):] + targets[:n % len(targets)]  # rotated: none always first
            for target in order:
                results[target.label].append(measure(target, tokens[target.label], args))
    finally:
        for target in targets:
            target.stop()
    print(f"{args.writers}-way sendMessage for {args.seconds:g} s plus a getMessages reader; then {args.subscribers} "
          f"WebSocket subscribers over {args.rooms} rooms, {args.messages} messages per room; {args.rounds} rotated "
          f"rounds, median (min-max); {os.cpu_count()} CPUs")
    print(f"  {'':<18}" + "".join(f"{title:>24}" for _, title, _ in COLUMNS) + f"{'exact':>8}")
    medians: dict[str, dict[str, float]] = {}
    for label, rounds in results.items():
        medians[label] = {key: statistics.median(r[key] for r in rounds) for key, _, _ in COLUMNS}
        cells = []
        for key, _, form in COLUMNS:
            values = [r[key] for r in rounds]
            cells.append(f"{form.format(medians[label][key])} ({form.format(min(values))}-{form.format(max(values))})")
        exact = all(r["exact"] for r in rounds)
        print(f"  {label:<18}" + "".join(f"{cell:>24}" for cell in cells) + f"{'yes' if exact else 'NO':>8}")
        if not exact:
            print(f"  {'':<18}deliveries not exactly once in order: lost {sum(r['lost'] for r in rounds):,}, "
                  f"duplicated {sum(r['duplicated'] for r in rounds):,}, subscribers out of order "
                  f"{sum(r['reordered'] for r in rounds):,} (over {len(rounds)} rounds)")
    current = medians["current"]
    baseline = medians[f"baseline {args.baseline}"]
    ratio = current["mutations_per_s"] / baseline["mutations_per_s"]
    print(f"  mutations/s vs baseline: {ratio:.2f}x (target >= {TARGETS['mutations_ratio']}x: "
          f"{'met' if ratio >= TARGETS['mutations_ratio'] else 'MISSED'}); "
          f"mutation p99 {current['mutation_p99_ms']:.1f} ms "
          f"(target < {TARGETS['mutation_p99_ms']:.0f}: "
          f"{'met' if current['mutation_p99_ms'] < TARGETS['mutation_p99_ms'] else 'MISSED'}); deliveries/s vs "
          f"baseline {current['deliveries_per_s'] / baseline['deliveries_per_s']:.2f}x")
    if "simulator" in medians:
        simulator = medians["simulator"]
        print(f"  vs simulator: mutations/s {current['mutations_per_s'] / simulator['mutations_per_s']:.2f}x, "
              f"deliveries/s {current['deliveries_per_s'] / simulator['deliveries_per_s']:.2f}x, delivery p99 "
              f"{current['delivery_p99_ms']:.1f} vs {simulator['delivery_p99_ms']:.1f} ms (target: not behind: "
              f"{'met' if current['delivery_p99_ms'] <= simulator['delivery_p99_ms'] else 'MISSED'})")


if __name__ == "__main__":
    main()
