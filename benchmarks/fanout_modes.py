"""Outbound real-time updates per fan-out mode, measured side by side on the local stack,
next to the planner's prediction for a 250,000-participant event. Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/fanout_modes.py [--subscribers K] [--rate R] [--seconds T] [--flush-ms F]

For each mode it serves the dev stack locally (moto, the real resolvers, the real
WebSocket endpoint; batched mode adds the stream consumer), opens K gql WebSocket
subscribers on one room, sends R messages/s for T seconds over HTTP, waits until every
subscriber has every message, and counts the updates the server pushed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import time

from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

from chatstack.local.session import BackgroundLoop, sign_up_and_in
from chatstack.local.stack import LocalStack
from chatstack.offline.evaluation import evaluate_program
from chatstack.planning.planner import PlanInputs, plan_event
from chatstack.project import read_stack_config

SEND = gql("mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
           "{ roomId messageId sender message createdAt } }")
SUBSCRIPTION = {
    "perMessage": ("onSendMessage", gql(
        "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { messageId } }")),
    "batched": ("onMessageBatch", gql(
        "subscription S($roomId: ID!) { onMessageBatch(roomId: $roomId) { batchId messages { messageId } } }")),
}


async def measure(local: LocalStack, server: BackgroundLoop, mode: str, subscribers: int, rate: float,
                  seconds: float) -> dict:
    outputs = local.outputs
    field, document = SUBSCRIPTION[mode]
    reader, writer = sign_up_and_in(outputs, f"reader-{mode}")["id"], sign_up_and_in(outputs, f"writer-{mode}")["id"]
    url = outputs["realtimeUrl"]
    clients = [Client(transport=AppSyncWebsocketsTransport(
        url=url, auth=AppSyncJWTAuthentication(host=url.split("/")[2], jwt=reader))) for _ in range(subscribers)]
    sessions = [await c.connect_async() for c in clients]
    streams = [s.subscribe(GraphQLRequest(document, variable_values={"roomId": "bench"})) for s in sessions]
    received = [[] for _ in streams]  # per subscriber: (arrival time, message ids) per update

    async def drain(i, stream):
        async for event in stream:
            payload = event[field]
            ids = [m["i"] for m in payload["messages"]] if mode == "batched" else [payload["messageId"]]
            received[i].append((time.monotonic(), ids))

    tasks = [asyncio.ensure_future(drain(i, s)) for i, s in enumerate(streams)]
    realtime = local.appsync.realtime
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
        realtime.wait_for_subscriptions(subscribers, field, timeout=30), server.loop))
    delivered_before = realtime.delivered
    count = int(rate * seconds)
    sent, sent_at = [], {}
    async with Client(transport=AIOHTTPTransport(url=outputs["graphqlUrl"], headers={"Authorization": writer})) as http:
        started = time.monotonic()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            result = await http.execute(GraphQLRequest(SEND, variable_values={"roomId": "bench", "message": f"m{n}"}))
            message_id = result["sendMessage"]["messageId"]
            sent.append(message_id)
            sent_at[message_id] = time.monotonic()
        sending = time.monotonic() - started
    deadline = time.monotonic() + 30
    while any(sum(len(ids) for _, ids in r) < count for r in received) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.5)  # anything late or duplicated would arrive now
    for task in tasks:
        task.cancel()
    for client in clients:
        await client.close_async()
    per_subscriber = [[i for _, ids in r for i in ids] for r in received]
    latencies = sorted(at - sent_at[i] for r in received for at, ids in r for i in ids if i in sent_at)
    return {
        "messages": count,
        "sending_seconds": sending,
        "updates_server": realtime.delivered - delivered_before,
        "updates_client": sum(len(r) for r in received),
        "exact_in_order": all(ids == sent for ids in per_subscriber),
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second sent")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--flush-ms", type=int, default=1000)
    args = parser.parse_args()
    for key, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)

    results = {}
    for mode in ("perMessage", "batched"):
        config = read_stack_config("dev")
        config.update({"chatstack:fanOutMode": mode, "chatstack:flushIntervalMs": str(args.flush_ms)})
        stack = f"bench-{mode.lower()}"
        server = BackgroundLoop()
        local = LocalStack(stack, run=evaluate_program(stack, config=config))
        try:
            server.run(local.start())
            results[mode] = asyncio.run(measure(local, server, mode, args.subscribers, args.rate, args.seconds))
        finally:
            server.run(local.stop())
            server.close()

    k, flush_s = args.subscribers, args.flush_ms / 1000
    print(f"Measured on the local stack: {k} subscribers, {args.rate:g} msg/s for {args.seconds:g} s, "
          f"flush {args.flush_ms} ms")
    print(f"{'mode':<11}{'messages':>9}{'updates (server)':>18}{'updates (clients)':>19}{'per subscriber':>16}"
          f"{'exactly once, in order':>24}{'p50 ms':>8}{'p99 ms':>8}")
    for mode, r in results.items():
        print(f"{mode:<11}{r['messages']:>9}{r['updates_server']:>18}{r['updates_client']:>19}"
              f"{r['updates_server'] / k:>16.1f}{str(r['exact_in_order']):>24}{r['p50_ms']:>8.0f}{r['p99_ms']:>8.0f}")
    per, batched = results["perMessage"], results["batched"]
    bound = k * (math.ceil(batched["sending_seconds"] / flush_s) + 1)
    print(f"ratio perMessage/batched updates: {per['updates_server'] / max(1, batched['updates_server']):.1f}x "
          f"(batched bound: {k} x (ceil({batched['sending_seconds']:.1f} s / {flush_s:g} s) + 1) = {bound})")

    print("\nPlanner, 250,000 participants, 50 msg/s, 3 h, 400 B messages:")
    for mode in ("perMessage", "batched"):
        plan = plan_event(PlanInputs(participants=250_000, messages_per_second=50, event_duration_hours=3,
                                     average_message_bytes=400, fan_out_mode=mode, flush_interval_ms=args.flush_ms))
        print(f"  {mode:<11} outbound {plan.outbound_updates_per_second:>12,.0f}/s   "
              f"cost ${plan.cost_per_hour_usd:>10,.2f}/h   {plan.verdict}")


if __name__ == "__main__":
    main()
