"""Resolver runtime cost: engine overhead per call, and end to end against in-process moto.

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/resolver_runtime.py [iterations]

1. Engine only: `JSEngine.call` (what the executor pays per handler) next to the bare QuickJS
   call with the same pre-serialised envelope (`__appsync.invoke`); the difference is the
   Python side (context JSON, id supply, result JSON).
2. End to end: `LocalResolverRuntime.resolve` against moto DynamoDB, and Mutation.sendMessage
   next to a raw boto3 PutItem of the same item (same condition) on the SAME client and table,
   in the same run, as a ratio.

moto's DynamoDB cost grows with table size (a Query walks the partition; a transaction copies
state), so every measured operation set runs on a fresh table seeded with a fixed number of
rows, and rows a measured write creates are deleted (untimed) after each call: the table size
stays constant while measuring. A final section shows the growth on purpose.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from appsync_local.engine import JSEngine
from appsync_local.executor import LocalResolverRuntime
from chatstack.planning.table_design import boto3_table_definition
from chatstack.project import find_project
from components.chat_api import resolver_environment

ENV = resolver_environment("bench", 3600, None)
IDENTITY = {"username": "bench", "sub": "s", "claims": {}, "sourceIp": ["127.0.0.1"], "defaultAuthStrategy": "ALLOW"}
SEED_ROWS = 200  # rows in the table while measuring (fixed)
REPEATS = 5


def per_call_us(fn: Callable[[], Any], iterations: int, repeats: int = REPEATS) -> float:
    """Best of `repeats` means (the machine is shared: the minimum is the least disturbed)."""
    fn()  # warm up (loads the module, learns the id demand)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1e6


def timed_with_cleanup(fn: Callable[[], Any], cleanup: Callable[[Any], None], iterations: int) -> float:
    """Median microseconds of `fn`; `cleanup(result)` runs untimed after each call."""
    cleanup(fn())  # warm up
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
        cleanup(result)
    return statistics.median(samples) * 1e6


# ---------------------------------------------------------------------------- engine only


def engine_section(iterations: int) -> None:
    manifest = find_project(Path(__file__)).manifest()
    engine = JSEngine()
    ctx = {
        "arguments": {"roomId": "lobby", "limit": 20, "message": "hi"},
        "stash": {"sender": "bench", "message": "hi", "limit": 20},
        "info": {"fieldName": "sendMessage", "parentTypeName": "Mutation"},
        "identity": IDENTITY,
        "env": ENV,
    }
    print(f"engine only (request handler; best of {REPEATS} x {iterations} calls):")
    print(f"  {'file':38s} {'JSEngine.call':>14s} {'bare QuickJS':>13s} {'Python side':>12s}")
    for file in ("functions/validateArgs.js", "functions/queryRoomMessages.js", "functions/putMessage.js"):
        handle = engine.load(manifest.render(file, ENV), file)
        ids = {"uuid": [], "ulid": ["01" * 13], "ksuid": []}
        envelope = json.dumps({"ctx": ctx, "authType": None, "nowMs": 1.7e12, "ids": ids})
        def full(h: str = handle) -> Any:
            return engine.call(h, "request", ctx)

        def quickjs_only(h: str = handle, e: str = envelope) -> Any:
            return json.loads(engine._invoke(h, "request", e))

        us = bare = float("inf")
        for _ in range(REPEATS):  # alternate, so both see the same machine load
            us = min(us, per_call_us(full, iterations, 1))
            bare = min(bare, per_call_us(quickjs_only, iterations, 1))
        print(f"  {file:38s} {us:11.1f} us {bare:10.1f} us {us - bare:9.1f} us")


# ---------------------------------------------------------------------------- end to end


def fresh_table(client: Any, rows: int = SEED_ROWS) -> str:
    """(Re)create the table with `rows` messages in room 'lobby'; returns one message id."""
    table = ENV["TABLE_NAME"]
    if table in client.list_tables()["TableNames"]:
        client.delete_table(TableName=table)
    client.create_table(**boto3_table_definition(table))
    items = []
    for n in range(rows):
        message_id = f"01SEED{n:020d}"
        items.append(
            {
                "pk": {"S": "ROOM#lobby"},
                "sk": {"S": f"MSG#{message_id}"},
                "type": {"S": "MESSAGE"},
                "roomId": {"S": "lobby"},
                "messageId": {"S": message_id},
                "sender": {"S": "seed"},
                "message": {"S": f"seed message {n}"},
                "createdAt": {"S": "2026-01-01T00:00:00.000Z"},
                "replyCount": {"N": "0"},
                "gsi1pk": {"S": "SENDER#seed"},
                "gsi1sk": {"S": f"MSG#{message_id}"},
            }
        )
    for start in range(0, len(items), 25):
        chunk = items[start : start + 25]
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in chunk]})
    return "01SEED" + "0" * 20


def end_to_end_section(client: Any, iterations: int) -> None:
    table = ENV["TABLE_NAME"]
    runtime = LocalResolverRuntime(find_project(Path(__file__)).manifest(), ENV, client)

    def delete(pk: str, sk: str) -> None:
        client.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})

    def send() -> Any:
        return runtime.resolve(
            "Mutation", "sendMessage", arguments={"roomId": "lobby", "message": "hello"}, identity=IDENTITY
        )

    def forget_message(outcome: Any) -> None:
        delete("ROOM#lobby", f"MSG#{outcome.data['messageId']}")

    raw_counter = iter(range(10**9))

    def raw_item() -> dict[str, Any]:
        message_id = f"01RAW{next(raw_counter):021d}"
        return {
            "pk": {"S": "ROOM#lobby"},
            "sk": {"S": f"MSG#{message_id}"},
            "type": {"S": "MESSAGE"},
            "roomId": {"S": "lobby"},
            "messageId": {"S": message_id},
            "sender": {"S": "bench"},
            "message": {"S": "hello"},
            "createdAt": {"S": "2026-01-01T00:00:00.000Z"},
            "replyCount": {"N": "0"},
            "gsi1pk": {"S": "SENDER#bench"},
            "gsi1sk": {"S": f"MSG#{message_id}"},
            "expiresAt": {"N": "1767229200"},
        }

    def raw_put(conditional: bool) -> Callable[[], dict[str, Any]]:
        def put() -> dict[str, Any]:
            item = raw_item()
            params: dict[str, Any] = {"TableName": table, "Item": item}
            if conditional:  # what the data source sends for putMessage
                params["ConditionExpression"] = "attribute_not_exists(pk)"
                params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            client.put_item(**params)
            return item

        return put

    def forget_raw(item: dict[str, Any]) -> None:
        delete(item["pk"]["S"], item["sk"]["S"])

    print(f"\nend to end with in-process moto (median of {iterations} calls; table held at {SEED_ROWS} rows):")
    # interleaved on one table, so machine noise hits all three alike
    fresh_table(client)
    contenders: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {
        "send": (send, forget_message),
        "raw_cond": (raw_put(True), forget_raw),
        "raw": (raw_put(False), forget_raw),
    }
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn, cleanup in contenders.values():
        cleanup(fn())  # warm up
    for _ in range(iterations):
        for name, (fn, cleanup) in contenders.items():
            start = time.perf_counter()
            result = fn()
            samples[name].append(time.perf_counter() - start)
            cleanup(result)
    figures = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    print(f"  {'Mutation.sendMessage (executor)':46s} {figures['send']:10.1f} us/call")
    print(f"  {'raw boto3 PutItem, same item + condition':46s} {figures['raw_cond']:10.1f} us/call")
    print(f"  {'raw boto3 PutItem, unconditional':46s} {figures['raw']:10.1f} us/call")
    print(
        f"  sendMessage / raw PutItem: {figures['send'] / figures['raw_cond']:.2f}x (same condition), "
        f"{figures['send'] / figures['raw']:.2f}x (unconditional)  [target <= 3x]"
    )

    parent = fresh_table(client)

    def reply() -> Any:
        return runtime.resolve(
            "Mutation",
            "replyToMessage",
            arguments={"roomId": "lobby", "messageId": parent, "message": "re"},
            identity=IDENTITY,
        )

    def forget_reply(outcome: Any) -> None:
        delete(f"ROOM#lobby#MSG#{parent}", f"REPLY#{outcome.data['replyId']}")

    others = {
        "Mutation.replyToMessage (transaction)": lambda: timed_with_cleanup(reply, forget_reply, iterations),
        "raw boto3 Query (same request as getMessages)": lambda: timed_with_cleanup(
            lambda: client.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": "ROOM#lobby"}, ":prefix": {"S": "MSG#"}},
                ScanIndexForward=False,
                Limit=20,
            ),
            lambda _: None,
            iterations,
        ),
        "getMessages pipeline (limit 20)": lambda: timed_with_cleanup(
            lambda: runtime.resolve(
                "Query", "getMessages", arguments={"roomId": "lobby", "limit": 20}, identity=IDENTITY
            ),
            lambda _: None,
            iterations,
        ),
        "Mutation.sendMessage (validation error)": lambda: timed_with_cleanup(
            lambda: runtime.resolve(
                "Mutation", "sendMessage", arguments={"roomId": "bad room", "message": "x"}, identity=IDENTITY
            ),
            lambda _: None,
            iterations,
        ),
    }
    for name, measure in others.items():
        fresh_table(client)
        print(f"  {name:46s} {measure():10.1f} us/call")


def growth_section(client: Any, iterations: int) -> None:
    runtime = LocalResolverRuntime(find_project(Path(__file__)).manifest(), ENV, client)
    print("\nmoto cost grows with table size (why the table is held fixed above):")
    for rows in (SEED_ROWS, SEED_ROWS * 10):
        parent = fresh_table(client, rows)
        query = timed_with_cleanup(
            lambda: runtime.resolve(
                "Query", "getMessages", arguments={"roomId": "lobby", "limit": 20}, identity=IDENTITY
            ),
            lambda _: None,
            iterations,
        )
        reply = timed_with_cleanup(
            lambda p=parent: runtime.resolve(
                "Mutation", "replyToMessage", arguments={"roomId": "lobby", "messageId": p, "message": "re"},
                identity=IDENTITY,
            ),
            lambda _: None,
            iterations,
        )
        print(f"  {rows:6d} rows: getMessages {query:10.1f} us/call, replyToMessage {reply:10.1f} us/call")


def main(iterations: int = 2000) -> None:
    engine_section(iterations)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        n = max(iterations // 10, 50)
        end_to_end_section(client, n)
        growth_section(client, max(n // 5, 10))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
