"""Attendee sign-ins per second on the local stack, this checkout next to a baseline revision,
in one run (rotated rounds, medians). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/sign_in.py [--baseline REV] [--users 40] [--concurrency 8] [--rounds 3]

Each revision's `chatstack local --stack dev` runs in a child process; from this process N
attendees sign up, are confirmed (localAdmin) and sign in (USER_PASSWORD_AUTH), `concurrency`
at a time, as `chatstack loadtest` ramps Cognito attendees. Issue 31's target: at least 50
sign-ins/s on one local stack.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served_stack import ServedStack, fresh_state_args, revision_tree  # noqa: E402
from chatstack.local.session import cognito_client, sign_up_and_in  # noqa: E402

TARGET_PER_SECOND = 50


def round_of(outputs: dict, users: int, concurrency: int) -> float:
    cognito = cognito_client(outputs, max_connections=concurrency)
    names = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(users)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda name: sign_up_and_in(outputs, name, cognito=cognito), names))
    return users / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="c21ad80")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stacks = {f"baseline {args.baseline}": ServedStack(revision_tree(args.baseline), label="baseline",
                                                       args=fresh_state_args()),
              "current checkout": ServedStack(args=fresh_state_args())}
    outputs = {label: stack.start() for label, stack in stacks.items()}
    rates: dict[str, list[float]] = {label: [] for label in stacks}
    try:
        for n in range(args.rounds):
            order = list(stacks) if n % 2 == 0 else list(reversed(stacks))  # rotated: neither always goes first
            for label in order:
                rates[label].append(round_of(outputs[label], args.users, args.concurrency))
    finally:
        for stack in stacks.values():
            stack.stop()
    print(f"sign-up + confirm + sign-in, {args.users} attendees x {args.rounds} rounds, {args.concurrency} at a time")
    print(f"  {'':<26}{'median /s':>10}{'range /s':>16}")
    for label, values in rates.items():
        print(f"  {label:<26}{statistics.median(values):>10.1f}{min(values):>8.1f}-{max(values):<7.1f}")
    base, current = (statistics.median(v) for v in rates.values())
    verdict = "met" if current >= TARGET_PER_SECOND else "MISSED"
    print(f"  ratio {current / base:.2f}x; target >= {TARGET_PER_SECOND}/s: {verdict}")


if __name__ == "__main__":
    main()
