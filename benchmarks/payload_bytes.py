"""Bytes on the wire per delivered message, per fan-out mode, against the message text itself
(issue 27's lean-payload target: at 400-byte messages, at most 15 % above the text). Prints
figures; asserts nothing.

    .venv/bin/python benchmarks/payload_bytes.py [--messages 50] [--text-bytes 400]

Serves the dev stack locally, per-message, batched and events (in this process). One subscriber speaks
AppSync's real-time protocol with the web client's subscription (schema/operations.graphql:
OnSendMessage or OnMessageBatch); N messages of exactly --text-bytes of ASCII text are sent
by one attendee, and again each by another attendee (as at a big event: a batch's sender table
then saves nothing). Every `data` frame the subscriber receives is counted as sent on the WebSocket
(the frame's UTF-8 text; WebSocket framing adds 2-10 bytes per frame, counted too, 4 per frame
as a server's unmasked frame of that size has), and divided by the messages it delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# benchmarks.served_stack sets local-only AWS credentials in the environment on import
from benchmarks.realtime_load import _header  # noqa: E402
from benchmarks.served_stack import LOCAL_CREDENTIALS  # noqa: E402, F401
from chatstack.local.session import BackgroundLoop, sign_up_and_in  # noqa: E402
from chatstack.offline.evaluation import evaluate_program  # noqa: E402
from chatstack.operations import operation  # noqa: E402
from chatstack.project import read_stack_config  # noqa: E402

FRAME_HEADER_BYTES = 4  # a server-to-client text frame of 126..65535 bytes: 2 + 2 length bytes, no mask
TARGET_OVERHEAD = 0.15


async def measure(outputs: dict, tokens: list[str], mode: str, messages: int, text_bytes: int) -> dict:
    import aiohttp

    field, subscription = (("onMessageBatch", operation("OnMessageBatch")) if mode == "batched"
                           else ("onSendMessage", operation("OnSendMessage")))
    room = f"payload-{uuid.uuid4().hex[:6]}"
    token = tokens[0]
    frames: list[str] = []
    delivered = 0
    async with aiohttp.ClientSession() as session:
        if mode == "events":  # the room's Event API channel (the Events protocol)
            authorization = {"host": "local", "Authorization": token}
            header = base64.urlsafe_b64encode(json.dumps(authorization).encode()).decode().rstrip("=")
            ws = await session.ws_connect(outputs["eventsRealtimeUrl"], max_msg_size=0,
                                          protocols=("aws-appsync-event-ws", f"header-{header}"))
            await ws.send_str('{"type":"connection_init"}')
            while (await ws.receive_json())["type"] != "connection_ack":
                pass
            await ws.send_json({"id": "sub", "type": "subscribe", "channel": f"/rooms/{room}",
                                "authorization": authorization})
            while (await ws.receive_json())["type"] != "subscribe_success":
                pass
        else:
            url = f"{outputs['realtimeUrl']}?header={_header(token)}&payload=e30="
            ws = await session.ws_connect(url, protocols=("graphql-ws",), max_msg_size=0)
            await ws.send_str('{"type":"connection_init"}')
            while (await ws.receive_json())["type"] != "connection_ack":
                pass
            await ws.send_json({"id": "sub", "type": "start", "payload": {
                "data": json.dumps({"query": subscription, "variables": {"roomId": room}}),
                "extensions": {"authorization": {"host": "local", "Authorization": token}}}})
            while (await ws.receive_json())["type"] != "start_ack":
                pass
        texts = [(f"{n:05d} " + "x" * text_bytes)[:text_bytes] for n in range(messages)]
        for n, text in enumerate(texts):
            async with session.post(outputs["graphqlUrl"], headers={"Authorization": tokens[n % len(tokens)]},
                                    json={"query": operation("SendMessage"),
                                          "variables": {"roomId": room, "message": text}}) as response:
                body = await response.json()
                assert not body.get("errors"), body
        while delivered < messages:
            raw = await asyncio.wait_for(ws.receive(), 10)
            message = json.loads(raw.data)
            if message.get("type") != "data":
                continue
            frames.append(raw.data)
            if mode == "events":
                item = json.loads(message["event"])
                delivered += len(item.get("messages") or [])
                continue
            item = message["payload"]["data"][field]
            delivered += len(item["messages"]) if mode == "batched" else 1
        await ws.close()
    wire = sum(len(frame.encode()) + FRAME_HEADER_BYTES for frame in frames)
    return {"frames": len(frames), "delivered": delivered, "bytes": wire, "per_message": wire / delivered,
            "overhead": wire / delivered / text_bytes - 1}


def serve(config_overrides: dict[str, str], state: Path) -> tuple:
    from chatstack.local.stack import LocalStack

    stack = f"payload{config_overrides['chatstack:fanOutMode'].lower()}" if config_overrides else "dev"
    config = {**read_stack_config("dev"), **config_overrides}
    loop = BackgroundLoop()
    local = LocalStack(stack, run=evaluate_program(stack, config=config), state_dir=state)
    outputs = loop.run(local.start())
    return loop, local, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--text-bytes", type=int, default=400)
    args = parser.parse_args()
    results = {}
    for mode, overrides in (("perMessage", {}),
                            ("batched", {"chatstack:fanOutMode": "batched", "chatstack:flushIntervalMs": "1000"}),
                            ("events", {"chatstack:fanOutMode": "events", "chatstack:flushIntervalMs": "1000"})):
        with tempfile.TemporaryDirectory() as tmp:
            loop, local, outputs = serve(overrides, Path(tmp))
            try:
                tokens = [sign_up_and_in(outputs, f"payload-{mode.lower()}-{n}")["id"] for n in range(args.messages)]
                for senders, label in ((tokens[:1], "one sender"), (tokens, "each another")):
                    results[f"{mode}, {label}"] = loop.run(measure(outputs, senders, mode, args.messages,
                                                                   args.text_bytes))
            finally:
                loop.run(local.stop())
                loop.close()
    print(f"{args.messages} messages of {args.text_bytes} bytes of text, the web client's subscriptions "
          "(schema/operations.graphql)")
    print(f"  {'mode, senders':<28}{'frames':>8}{'bytes/message':>15}{'above the text':>16}")
    for mode, r in results.items():
        verdict = "ok" if r["overhead"] <= TARGET_OVERHEAD else "over"
        print(f"  {mode:<28}{r['frames']:>8}{r['per_message']:>15.0f}{r['overhead'] * 100:>15.0f}%  "
              f"(target <= {TARGET_OVERHEAD * 100:.0f} %: {verdict})")


if __name__ == "__main__":
    main()
