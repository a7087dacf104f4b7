"""Does the local stack slow down as an event's history grows? The same load on an empty stack
and after N messages were written, side by side in one run. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/history_growth.py [--messages 100000] [--seconds 10]

This checkout's `chatstack local --stack dev` (state kept, as `make local` runs it) in a child
process. Each phase: 8 writers send `sendMessage` back to back while one reader pages
`getMessages` (limit 20) in the room the history is written to. Between the phases, N
messages are written into that one room (the worst case: one partition holds all of them)
with BatchWriteItem on the stack's DynamoDB endpoint (localAdmin), plus a reply thread.
Issue 31's target: a stack with 100k messages answers as fast as an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served_stack import ServedStack, fresh_state_args  # noqa: E402
from benchmarks.throughput import load as mutations  # noqa: E402
from benchmarks.versus import Local  # noqa: E402
from chatstack.local.session import admin_client  # noqa: E402

ROOM = "bench-0"  # the room benchmarks.throughput.READ pages


def write_history(outputs: dict, count: int) -> float:
    """`count` MESSAGE rows in ROOM, as putMessage writes them; returns the seconds it took."""
    dynamodb = admin_client(outputs, "dynamodb", max_connections=8)
    table = outputs["tableName"]
    started = time.monotonic()

    def batch(offset: int) -> None:
        requests = []
        for n in range(offset, min(offset + 25, count)):
            created = f"2026-12-01T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z"
            message_id = f"{n:08d}-{uuid.uuid4().hex[:8]}"
            requests.append({"PutRequest": {"Item": {
                "pk": {"S": f"ROOM#{ROOM}"}, "sk": {"S": f"MSG#{created}#{message_id}"},
                "type": {"S": "MESSAGE"}, "roomId": {"S": ROOM}, "messageId": {"S": message_id},
                "sender": {"S": "history"}, "senderName": {"S": "history"}, "message": {"S": f"old message {n}"},
                "createdAt": {"S": created}}}})
        unprocessed = {table: requests}
        while unprocessed:
            unprocessed = dynamodb.batch_write_item(RequestItems=unprocessed).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batch, range(0, count, 25)))
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2, help="load rounds per phase")
    args = parser.parse_args()
    target = Local(ServedStack(label="current", args=fresh_state_args()))
    phases: dict[str, list[dict[str, float]]] = {}
    try:
        target.start()
        writers = [target.token(f"writer{i}") for i in range(8)]
        reader = target.token("reader")
        url = target.outputs["graphqlUrl"]
        asyncio.run(mutations(url, writers, reader, 2.0))  # warm up
        phases["empty"] = [asyncio.run(mutations(url, writers, reader, args.seconds)) for _ in range(args.rounds)]
        seconds = write_history(target.outputs, args.messages)
        print(f"wrote {args.messages:,} messages into room {ROOM} in {seconds:.0f} s")
        label = f"{args.messages:,} in the room"
        phases[label] = [asyncio.run(mutations(url, writers, reader, args.seconds)) for _ in range(args.rounds)]
    finally:
        target.stop()
    print(f"8-way sendMessage + one getMessages reader (limit 20, room {ROOM}), {args.seconds:g} s x {args.rounds}, "
          "median of rounds")
    print(f"  {'':<24}{'mutations/s':>12}{'mutation p99 ms':>17}{'reader p99 ms':>15}")
    medians = {}
    for label, rounds in phases.items():
        medians[label] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        m = medians[label]
        print(f"  {label:<24}{m['mutations_per_s']:>12.0f}{m['mutation_p99_ms']:>17.1f}{m['reader_p99_ms']:>15.1f}")
    empty, full = medians.values()
    print(f"  with history / empty: mutations/s {full['mutations_per_s'] / empty['mutations_per_s']:.2f}x, "
          f"reader p99 {full['reader_p99_ms'] / empty['reader_p99_ms']:.2f}x (target: about 1x)")


if __name__ == "__main__":
    main()
