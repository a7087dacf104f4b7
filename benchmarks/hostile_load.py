"""The local stack under a hostile client: another client's latency, and the server's memory.
Prints figures next to their targets; asserts nothing.

    .venv/bin/python benchmarks/hostile_load.py [--requests N] [--baseline REV]

`chatstack local --stack dev` runs in a child process (with --baseline, a second one serves
revision REV's tree, measured the same way, side by side). Loopback only.

1. Latency: a victim sends `getMessages` one request after another: p50/p99 idle, then while
   a hostile client sends, back to back, (a) the largest query the endpoint accepts (20,000
   tokens, different text each time, so nothing is cached) and (b) 1,000 aliased
   `getMessages`, (c) tokens with unknown key ids (next to a flood of garbage tokens, which
   costs the same if no key is ever fetched on the request path). Target: victim p99 within
   3x its idle p99.
2. Memory: 10 connections that never read, each with 100 subscriptions on one room, then 150
   messages of 2 KB sent to that room; the server process's RSS before and after. Target:
   growth under 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appsync_local.server.graphql_endpoint import MAX_QUERY_TOKENS  # noqa: E402
from benchmarks.served_stack import ServedStack, fresh_state_args, percentile, revision_tree  # noqa: E402
from chatstack.local.session import sign_up_and_in  # noqa: E402

VICTIM = '{ getMessages(roomId: "victim", limit: 10) { items { messageId message } nextToken } }'
ON_SEND = "subscription S($roomId: ID!) { onSendMessage(roomId: $roomId) { roomId messageId message sender } }"
SEND = ("mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
        "{ roomId messageId message sender } }")
LATENCY_TARGET = 3.0
MEMORY_TARGET_MB = 50.0
_unique = itertools.count()


def largest_query() -> str:
    """The largest document the endpoint accepts (MAX_QUERY_TOKENS lexical tokens, ~100 KB,
    well under the 1 MiB body limit), different every time (no cache hit)."""
    head, tail = f"query Big{next(_unique)} {{ ", " }"
    fields = (MAX_QUERY_TOKENS - 6) // 3  # "aN", ":", "__typename"
    return head + "".join(f"a{n}: __typename " for n in range(fields)) + tail


def aliased_reads() -> str:
    fields = " ".join(f'g{n}: getMessages(roomId: "r{next(_unique)}", limit: 1) {{ nextToken }}' for n in range(1000))
    return f"{{ {fields} }}"


_FORGING_KEY = None


def unknown_kid_token(issuer: str) -> str:
    """A well-formed RS256 token from the stack's own issuer whose `kid` no key set has."""
    global _FORGING_KEY
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    if _FORGING_KEY is None:
        _FORGING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "x", "iss": issuer, "token_use": "id", "exp": int(time.time()) + 600}
    return jwt.encode(claims, _FORGING_KEY, algorithm="RS256", headers={"kid": f"kid-{next(_unique)}"})


async def victim_latencies(session: aiohttp.ClientSession, url: str, token: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.post(url, json={"query": VICTIM}, headers={"Authorization": token}) as response:
            await response.read()
            assert response.status == 200, response.status
        latencies.append(time.perf_counter() - started)
    return latencies


async def _attack(kind: str, url: str, credential: str, stop: Any) -> None:
    """Requests back to back until `stop` is set: `kind` is "largest", "aliases", "kids" or "garbage"
    (a flood of unparseable tokens: what any flood of refused requests costs, the reference for "kids")."""
    tokens = [unknown_kid_token(credential) for _ in range(200)] if kind == "kids" else [credential]
    make = {"largest": largest_query, "aliases": aliased_reads, "kids": lambda: VICTIM, "garbage": lambda: VICTIM}[kind]
    sent = 0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            body = json.dumps({"query": make()})
            with contextlib.suppress(aiohttp.ClientError):
                async with session.post(url, data=body, headers={"Authorization": tokens[sent % len(tokens)],
                                                                 "Content-Type": "application/json"}) as response:
                    await response.read()
            sent += 1


def _attacker_main(kind: str, url: str, credential: str, stop: Any) -> None:
    asyncio.run(_attack(kind, url, credential, stop))


async def latency_phase(outputs: dict, victim: str, attacker: str, requests: int) -> dict[str, list[float]]:
    """The attacker runs in a process of its own: in the victim's process it would compete for
    the victim's own event loop and inflate the victim's figures."""
    url = outputs["graphqlUrl"]
    issuer = f"https://cognito-idp.{outputs['region']}.amazonaws.com/{outputs['userPoolId']}"
    context = multiprocessing.get_context("spawn")
    results = {}
    async with aiohttp.ClientSession() as session:
        await victim_latencies(session, url, victim, 20)  # warm up: the victim's query is parsed and cached
        results["idle"] = await victim_latencies(session, url, victim, requests)
        for label, kind, credential in (("largest query", "largest", attacker),
                                        ("1,000 aliased reads", "aliases", attacker),
                                        ("tokens with unknown kids", "kids", issuer),
                                        ("garbage tokens (reference)", "garbage", "not-a-jwt")):
            stop = context.Event()
            process = context.Process(target=_attacker_main, args=(kind, url, credential, stop), daemon=True)
            process.start()
            await asyncio.sleep(2.0)  # the attacker's interpreter starts and gets going
            results[label] = await victim_latencies(session, url, victim, requests)
            stop.set()
            process.join(30)
    return results


def _header(token: str, host: str) -> str:
    return base64.b64encode(json.dumps({"host": host, "Authorization": token}).encode()).decode()


async def memory_phase(stack: ServedStack, reader: str, writer: str) -> tuple[float, float, int]:
    outputs = stack.outputs
    url = outputs["realtimeUrl"] + f"?header={_header(reader, 'local')}&payload=e30="
    sockets = []
    async with aiohttp.ClientSession() as session:
        for c in range(10):
            ws = await session.ws_connect(url, protocols=("graphql-ws",), max_msg_size=0)
            await ws.send_json({"type": "connection_init"})
            await ws.receive_json()
            for s in range(100):
                data = json.dumps({"query": ON_SEND, "variables": {"roomId": "slow"}})
                await ws.send_json({"id": f"c{c}s{s}", "type": "start", "payload": {
                    "data": data, "extensions": {"authorization": {"host": "local", "Authorization": reader}}}})
            sockets.append(ws)
        # read the acks once, then never again
        for ws in sockets:
            acks = 0
            while acks < 100:
                message = await ws.receive_json()
                acks += message.get("type") == "start_ack"
        await asyncio.sleep(1.0)
        before = stack.rss_mb()
        message = "x" * 2048
        for _ in range(150):
            async with session.post(outputs["graphqlUrl"], headers={"Authorization": writer},
                                    json={"query": SEND, "variables": {"roomId": "slow", "message": message[:2000]}}):
                pass
        await asyncio.sleep(2.0)
        after = stack.rss_mb()
        closed = 0
        for ws in sockets:  # now read what is there (for 5 s at most): did the server end the connection?
            deadline = time.monotonic() + 5
            with contextlib.suppress(Exception):
                while time.monotonic() < deadline:
                    message = await asyncio.wait_for(ws.receive(), max(0.01, deadline - time.monotonic()))
                    if message.type != aiohttp.WSMsgType.TEXT:
                        closed += message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
                        break
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
    return before, after, closed


def measure(stack: ServedStack, requests: int) -> dict:
    outputs = stack.start()
    try:
        suffix = stack.label.replace(" ", "-")
        users = {name: sign_up_and_in(outputs, f"{name}-{suffix}")["id"] for name in ("victim", "attacker", "reader")}
        latencies = asyncio.run(latency_phase(outputs, users["victim"], users["attacker"], requests))
        before, after, closed = asyncio.run(memory_phase(stack, users["reader"], users["attacker"]))
        return {"latencies": latencies, "rss_before": before, "rss_after": after, "slow_closed": closed}
    finally:
        stack.stop()


def report(label: str, result: dict) -> None:
    idle99 = percentile(result["latencies"]["idle"], 0.99)
    print(f"\n== {label}")
    print(f"  {'victim getMessages':<28}{'p50 ms':>10}{'p99 ms':>10}{'p99 / idle p99':>16}"
          f"   target <= {LATENCY_TARGET:g}x")
    for phase, values in result["latencies"].items():
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        ratio = p99 / (idle99 * 1000)
        verdict = "" if phase == "idle" else ("  ok" if ratio <= LATENCY_TARGET else "  MISSED")
        print(f"  {phase:<28}{p50:>10.1f}{p99:>10.1f}{ratio:>15.2f}x{verdict}")
    growth = result["rss_after"] - result["rss_before"]
    verdict = "ok" if growth < MEMORY_TARGET_MB else "MISSED"
    print(f"  slow readers (10 x 100 subscriptions, 150 x 2 KB): RSS {result['rss_before']:.0f} -> "
          f"{result['rss_after']:.0f} MB, growth {growth:.0f} MB (target < {MEMORY_TARGET_MB:g} MB: {verdict}); "
          f"slow connections closed by the server: {result['slow_closed']}/10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="victim requests per phase")
    parser.add_argument("--baseline", default=None, help="also measure this git revision's tree")
    args = parser.parse_args()
    stacks = [ServedStack(label="current", args=fresh_state_args())]
    if args.baseline:
        stacks.insert(0, ServedStack(revision_tree(args.baseline), label=f"baseline {args.baseline}"))
    for stack in stacks:
        report(stack.label, measure(stack, args.requests))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
