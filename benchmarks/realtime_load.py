"""Real-time fan-out under load on the local stack, next to a bare `websockets` broadcast server.
Prints figures; asserts nothing (exit 1 only if a run lost, duplicated or reordered a message).

    .venv/bin/python benchmarks/realtime_load.py [--subscribers N] [--messages M] [--rooms R]

Loopback only. The server under test runs in this process (the local stack: moto, the real
resolvers, the aiohttp endpoint; or the bare server); the clients run in one child process, so
the server and the clients each have a core. The clients are raw aiohttp WebSockets speaking
AppSync's protocol (connection_init, start with a UUID id), N of them spread over R rooms.
R publishers (one per room, each sequential, so a room's order is defined) send M messages per
room: on the local stack a `sendMessage` mutation over HTTP, awaited; on the bare server a
control frame, awaited (ack), after which the server has written the same `data` frames (the
same bytes, ids included) to the room's subscribers. Each message carries its send time, so
latency is send → receive (for the local stack: mutation request → subscriber).

Figures: delivered/expected (each subscriber must get exactly its room's M messages, in order),
p50/p99 latency, and deliveries/s = deliveries / (last receive − first send), with the local
stack's ratio to the bare server.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import json
import multiprocessing
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatstack.local.session import BackgroundLoop, sign_up_and_in  # noqa: E402 (after the path)

ON_SEND = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message } }"
SEND = ("mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
        "{ roomId messageId message } }")
TARGET_RATIO = 0.5


# ---- servers (in this process, on their own loop thread) ---------------------------------

class BareServer:
    """The floor: a `websockets` server that acks the protocol and writes each published
    message's data frame (encoded once, the subscriber's id spliced in) to the room."""

    def __init__(self) -> None:
        self.rooms: dict[str, list[tuple[Any, str]]] = defaultdict(list)
        self.message_ids = 0

    async def handler(self, connection: Any) -> None:
        from websockets.asyncio.server import broadcast
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            await self._serve(connection, broadcast)

    async def _serve(self, connection: Any, broadcast: Any) -> None:
        async for raw in connection:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "connection_init":
                await connection.send('{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}')
            elif kind == "start":
                room = json.loads(message["payload"]["data"])["variables"]["roomId"]
                self.rooms[room].append((connection, message["id"]))
                await connection.send(json.dumps({"id": message["id"], "type": "start_ack"}))
            elif kind == "publish":  # a publisher's control frame: fan out, then ack
                self.message_ids += 1
                room = message["roomId"]
                item = {"roomId": room, "messageId": str(self.message_ids), "message": message["message"]}
                payload = json.dumps({"data": {"onSendMessage": item}}, separators=(",", ":"))
                for subscriber, subscription_id in self.rooms[room]:
                    frame = '{"id":' + json.dumps(subscription_id) + ',"type":"data","payload":' + payload + "}"
                    broadcast((subscriber,), frame)
                await connection.send('{"type":"published"}')

    async def start(self) -> tuple[Any, str]:
        from websockets.asyncio.server import serve

        server = await serve(self.handler, "127.0.0.1", 0, subprotocols=["graphql-ws"], max_queue=None,
                             compression=None, ping_interval=None)
        port = next(iter(server.sockets)).getsockname()[1]
        return server, f"ws://127.0.0.1:{port}/graphql/realtime"


# ---- clients (child process) -------------------------------------------------------------

def _header(token: str) -> str:
    return base64.b64encode(json.dumps({"host": "local", "Authorization": token}).encode()).decode()


async def _clients(target: dict, params: dict) -> dict:
    import aiohttp

    n, m, rooms = params["subscribers"], params["messages"], params["rooms"]
    url = f"{target['realtimeUrl']}?header={_header(target['token'])}&payload=e30="
    connector = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=connector)
    received: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    latencies: list[float] = []
    done = asyncio.Event()
    remaining = [n * m]
    anomalies: list[str] = []
    gate = asyncio.Semaphore(100)

    async def subscriber(i: int, ready: asyncio.Future) -> None:
        room = f"room-{i % rooms}"
        sid = str(uuid.uuid4())
        async with gate:
            ws = await session.ws_connect(url, protocols=("graphql-ws",), max_msg_size=0, autoping=False)
            await ws.send_str('{"type":"connection_init"}')
            while (await ws.receive_json())["type"] != "connection_ack":
                pass
            start = {"query": ON_SEND, "variables": {"roomId": room}}
            await ws.send_json({"id": sid, "type": "start", "payload": {
                "data": json.dumps(start), "extensions": {"authorization": {"host": "local",
                                                                             "Authorization": target["token"]}}}})
            while True:
                ack = await ws.receive_json()
                if ack.get("type") == "start_ack":
                    break
                if ack.get("type") != "ka":
                    raise RuntimeError(f"start failed: {ack}")
        ready.set_result(None)
        mine = received[i]
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.monotonic()
            message = json.loads(frame.data)
            if message.get("type") != "data":
                continue
            if message.get("id") != sid:
                anomalies.append(f"subscriber {i}: foreign id {message.get('id')}")
            item = message["payload"]["data"]["onSendMessage"]
            if item["roomId"] != room:
                anomalies.append(f"subscriber {i}: message for {item['roomId']}")
            seq, sent = item["message"].split(" ")
            mine.append((int(seq), now))
            latencies.append(now - float(sent))
            remaining[0] -= 1
            if remaining[0] <= 0:
                done.set()
        await ws.close()

    readies = [asyncio.get_running_loop().create_future() for _ in range(n)]
    connect_started = time.monotonic()
    tasks = [asyncio.create_task(subscriber(i, readies[i])) for i in range(n)]
    await asyncio.wait_for(asyncio.gather(*readies), 120)
    connect_seconds = time.monotonic() - connect_started

    first_send = [float("inf")]

    async def publisher(room: str) -> None:
        if target["kind"] == "local":
            async def publish(text: str) -> None:
                async with session.post(target["graphqlUrl"], headers={"Authorization": target["token"]},
                                        json={"query": SEND, "variables": {"roomId": room, "message": text}}) as r:
                    body = await r.json()
                    if r.status != 200 or body.get("errors"):
                        raise RuntimeError(f"sendMessage failed: {r.status} {body}")
        else:
            control = await session.ws_connect(target["realtimeUrl"], protocols=("graphql-ws",))

            async def publish(text: str) -> None:
                await control.send_str(json.dumps({"type": "publish", "roomId": room, "message": text}))
                await control.receive()
        for seq in range(m):
            now = time.monotonic()
            first_send[0] = min(first_send[0], now)
            await publish(f"{seq} {now!r}")

    publish_started = time.monotonic()
    await asyncio.gather(*(publisher(f"room-{r}") for r in range(rooms)))
    publish_seconds = time.monotonic() - publish_started
    try:
        await asyncio.wait_for(done.wait(), params["drain_seconds"])
    except TimeoutError:
        pass
    await asyncio.sleep(0.2)  # anything duplicated arrives now
    last_receive = max((r[-1][1] for r in received if r), default=first_send[0])
    for task in tasks:
        task.cancel()
    await session.close()

    expected = list(range(m))
    lost = duplicated = reordered = 0
    for mine in received:
        seqs = [s for s, _ in mine]
        lost += len(set(expected) - set(seqs))
        duplicated += len(seqs) - len(set(seqs))
        reordered += int(seqs != sorted(seqs))
    latencies.sort()
    delivered = sum(len(r) for r in received)
    return {
        "delivered": delivered,
        "expected": n * m,
        "lost": lost,
        "duplicated": duplicated,
        "reordered_subscribers": reordered,
        "anomalies": anomalies[:5],
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else float("nan"),
        "seconds": last_receive - first_send[0],
        "deliveries_per_s": delivered / max(last_receive - first_send[0], 1e-9),
        "publish_seconds": publish_seconds,
        "messages_per_s": rooms * m / max(publish_seconds, 1e-9),
        "connect_seconds": connect_seconds,
    }


def _client_main(target: dict, params: dict, results: Any) -> None:
    try:
        results.put(asyncio.run(_clients(target, params)))
    except BaseException as error:  # report, don't hang the parent
        results.put({"error": repr(error)})


def run_clients(target: dict, params: dict) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_client_main, args=(target, params, results), daemon=True)
    child.start()
    try:
        result = results.get(timeout=params["drain_seconds"] + 180)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if "error" in result:
        raise RuntimeError(f"clients failed: {result['error']}")
    return result


async def _disable(profiler: cProfile.Profile) -> None:
    profiler.disable()


# ---- main ----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="messages per room")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="cProfile the local stack's server thread")
    parser.add_argument("--drain-seconds", type=float, default=20.0, help="wait at most this long for deliveries")
    args = parser.parse_args()
    params = {"subscribers": args.subscribers, "messages": args.messages, "rooms": args.rooms,
              "drain_seconds": args.drain_seconds}
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    started = time.monotonic()
    print(f"parameters: subscribers N={args.subscribers}, messages per room M={args.messages}, rooms R={args.rooms} "
          f"(~{args.subscribers // args.rooms} subscribers per room), {args.rooms * args.messages} messages, "
          f"{args.subscribers * args.messages} deliveries expected; clients in 1 child process; "
          f"{os.cpu_count()} CPUs")

    from chatstack.local.stack import LocalStack

    results = {}
    server = BackgroundLoop()
    local = LocalStack("dev")
    try:
        outputs = server.run(local.start())
        token = sign_up_and_in(outputs, "loadbench")["id"]
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            server.loop.call_soon_threadsafe(profiler.enable)
        results["local stack"] = run_clients({"kind": "local", "token": token, **outputs}, params)
        if profiler is not None:
            server.run(_disable(profiler))
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(30)
        results["local stack"]["server_deliveries"] = local.appsync.realtime.delivered
    finally:
        server.run(local.stop())
        server.close()

    server = BackgroundLoop()
    bare = BareServer()
    try:
        ws_server, url = server.run(bare.start())
        results["bare websockets"] = run_clients({"kind": "bare", "token": "-", "realtimeUrl": url}, params)
        ws_server.close()
        server.run(ws_server.wait_closed())
    finally:
        server.close()

    ok = True
    print(f"{'':16} {'delivered/expected':>19} {'lost':>5} {'dup':>4} {'reord':>6} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'deliveries/s':>13} {'msgs/s':>8} {'connect s':>9}")
    for name, r in results.items():
        print(f"{name:16} {r['delivered']:>9}/{r['expected']:<9} {r['lost']:>5} {r['duplicated']:>4} "
              f"{r['reordered_subscribers']:>6} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{r['deliveries_per_s']:>13,.0f} "
              f"{r['messages_per_s']:>8.0f} {r['connect_seconds']:>9.2f}")
        if r["anomalies"]:
            print("  anomalies:", r["anomalies"])
        ok = ok and r["delivered"] == r["expected"] and not (r["lost"] or r["duplicated"] or r["reordered_subscribers"])
    ratio = results["local stack"]["deliveries_per_s"] / results["bare websockets"]["deliveries_per_s"]
    print(f"fan-out throughput ratio local/bare: {ratio:.2f} (target >= {TARGET_RATIO}); "
          f"latency is mutation request -> subscriber on the local stack; total {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
