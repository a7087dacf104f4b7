"""Mutations per second on the local stack, this checkout next to a baseline revision, in one
run. Prints figures and the ratio to its target; asserts nothing.

    .venv/bin/python benchmarks/throughput.py [--baseline REV] [--writers 8] [--seconds 15]

Each revision's `chatstack local --stack dev` runs in a child process (the baseline from a
`git archive` of REV; default: main when issue 31 was filed). Eight writers, each with its
own user and HTTP connection, send `sendMessage` back to back for the given time; one
reader sends `getMessages` one after another meanwhile, and its p99 latency must not get
worse. Target (issue 31): at least 2.5x the baseline's mutations/s, with the state kept as
`make local` keeps it. Loopback only. benchmarks/versus.py runs rounds and the simulator too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served_stack import ServedStack, fresh_state_args, percentile, revision_tree  # noqa: E402
from chatstack.local.session import sign_up_and_in  # noqa: E402

BASELINE = "0f080b5"  # main when issue 31 was filed
SEND = ("mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
        "{ roomId messageId message } }")
READ = '{ getMessages(roomId: "bench-0", limit: 20) { items { messageId message } nextToken } }'
TARGET = 2.5  # issue 31


async def load(url: str, writers: list[str], reader: str, seconds: float) -> dict[str, float]:
    """`writers` (tokens) send sendMessage back to back, each on its own connection, while
    `reader` pages getMessages: mutations/s, mutation p99 and reader p99 (ms)."""
    stop = time.monotonic() + seconds
    sent = [0] * len(writers)
    write_latencies: list[float] = []
    read_latencies: list[float] = []

    async def write(index: int, token: str) -> None:
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < stop:
                variables = {"roomId": f"bench-{index}", "message": f"m{sent[index]}"}
                started = time.perf_counter()
                async with session.post(url, json={"query": SEND, "variables": variables},
                                        headers={"Authorization": token}) as response:
                    body = await response.json()
                if "errors" in body or not (body.get("data") or {}).get("sendMessage"):
                    raise RuntimeError(f"sendMessage failed: {body}")
                write_latencies.append(time.perf_counter() - started)
                sent[index] += 1

    async def read() -> None:
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < stop:
                started = time.perf_counter()
                async with session.post(url, json={"query": READ}, headers={"Authorization": reader}) as response:
                    await response.read()
                read_latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(read(), *(write(i, token) for i, token in enumerate(writers)))
    elapsed = time.monotonic() - started
    return {"mutations_per_s": sum(sent) / elapsed, "mutation_p99_ms": percentile(write_latencies, 0.99) * 1000,
            "reader_p99_ms": percentile(read_latencies, 0.99) * 1000}


def measure(stack: ServedStack, writers: int, seconds: float) -> dict:
    outputs = stack.start()
    try:
        suffix = stack.label.split()[0]
        tokens = [sign_up_and_in(outputs, f"writer{i}-{suffix}")["id"] for i in range(writers)]
        reader = sign_up_and_in(outputs, f"reader-{suffix}")["id"]
        asyncio.run(load(outputs["graphqlUrl"], tokens, reader, 2.0))  # warm up: engines, caches, connections
        figures = asyncio.run(load(outputs["graphqlUrl"], tokens, reader, seconds))
    finally:
        stack.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    baseline = measure(ServedStack(revision_tree(args.baseline), label=f"baseline {args.baseline}"),
                       args.writers, args.seconds)
    current = measure(ServedStack(label="current checkout", args=fresh_state_args()), args.writers, args.seconds)
    print(f"{args.writers}-way sendMessage, {args.seconds:g} s each, plus one getMessages reader")
    print(f"  {'':<28}{'mutations/s':>12}{'mutation p99 ms':>17}{'reader p99 ms':>15}")
    for label, result in ((f"baseline {args.baseline}", baseline), ("current checkout", current)):
        print(f"  {label:<28}{result['mutations_per_s']:>12.0f}{result['mutation_p99_ms']:>17.1f}"
              f"{result['reader_p99_ms']:>15.1f}")
    ratio = current["mutations_per_s"] / baseline["mutations_per_s"]
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(f"  ratio {ratio:.2f}x (target >= {TARGET:g}x: {verdict}); reader p99 "
          f"{'not worse' if current['reader_p99_ms'] <= baseline['reader_p99_ms'] else 'WORSE'}")


if __name__ == "__main__":
    main()
