"""Microseconds per resolver call: engine only (request handler in QuickJS) and end to end
(LocalResolverRuntime against in-process moto DynamoDB). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/resolver_runtime.py [iterations]
"""

from __future__ import annotations

import sys
import time

import boto3
from moto import mock_aws

from appsync_local.engine import JSEngine
from appsync_local.executor import LocalResolverRuntime
from chatstack.manifest import load_manifest
from chatstack.table_design import boto3_table_definition

ENV = {"TABLE_NAME": "bench", "RETENTION_SECONDS": "3600"}
IDENTITY = {"username": "bench", "sub": "s", "claims": {}, "sourceIp": ["127.0.0.1"], "defaultAuthStrategy": "ALLOW"}


def per_call_us(fn, iterations: int) -> float:
    fn()  # warm up (loads the module, learns the id demand)
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations * 1e6


def main(iterations: int = 2000) -> None:
    manifest = load_manifest()
    engine = JSEngine()
    ctx = {"arguments": {"roomId": "lobby", "limit": 20}, "stash": {"sender": "bench", "message": "hi"}, "info": {}}
    print(f"engine only ({iterations} calls each):")
    for file in ("Query.getMessages.js", "functions/validateMessageInput.js", "functions/putMessage.js"):
        handle = engine.load(manifest.render(file, ENV), file)
        call_ctx = {**ctx, "arguments": {**ctx["arguments"], "message": "hi"}, "identity": IDENTITY}
        us = per_call_us(lambda h=handle, c=call_ctx: engine.call(h, "request", c), iterations)
        print(f"  {file:40s} request()  {us:8.1f} us/call")

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**boto3_table_definition(ENV["TABLE_NAME"]))
        runtime = LocalResolverRuntime(manifest, ENV, client)
        parent = runtime.resolve(
            "Mutation", "sendMessage", arguments={"roomId": "lobby", "message": "p"}, identity=IDENTITY
        ).data["messageId"]
        cases = {
            "Mutation.sendMessage": lambda: runtime.resolve(
                "Mutation", "sendMessage", arguments={"roomId": "lobby", "message": "hello"}, identity=IDENTITY
            ),
            "Mutation.replyToMessage": lambda: runtime.resolve(
                "Mutation",
                "replyToMessage",
                arguments={"roomId": "lobby", "messageId": parent, "message": "re"},
                identity=IDENTITY,
            ),
            "Query.getMessages (limit 20)": lambda: runtime.resolve(
                "Query", "getMessages", arguments={"roomId": "lobby", "limit": 20}, identity=IDENTITY
            ),
            "Mutation.sendMessage (validation error)": lambda: runtime.resolve(
                "Mutation", "sendMessage", arguments={"roomId": "bad room", "message": "x"}, identity=IDENTITY
            ),
        }
        n = max(iterations // 10, 50)
        print(f"end to end with moto ({n} calls each):")
        for name, fn in cases.items():
            print(f"  {name:40s} {per_call_us(fn, n):10.1f} us/call")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
