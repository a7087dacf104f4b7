"""The local Event API runs the handlers a namespace's code exports, and only those."""

import asyncio

from appsync_local.engine import JSEngine
from appsync_local.server.events import ChannelNamespace, LocalEventApi

# Mentions onPublish in a comment and a string: not a handler, so events pass as published.
MENTIONS_ONLY = """
// onPublish would filter events; this namespace has none.
export function describe() { return "no onPublish here"; }
"""
DROPS_SECRETS = """
export function onPublish(ctx) { return ctx.events.filter((e) => !e.payload.secret); }
"""


def _publish(code: str) -> dict:
    api = LocalEventApi([ChannelNamespace("rooms", code=code)], verify=lambda _: None, engine_factory=JSEngine)
    try:
        events = ['{"text": "hi"}', '{"secret": true}']
        return asyncio.run(api.publish("/rooms/stage", events, {}, "AWS_IAM"))
    finally:
        api.close()


def test_code_that_only_mentions_a_handler_does_not_run_it():
    assert [e["index"] for e in _publish(MENTIONS_ONLY)["successful"]] == [0, 1]


def test_an_exported_on_publish_filters_the_events():
    assert [e["index"] for e in _publish(DROPS_SECRETS)["successful"]] == [0]


class _Identity:
    auth_mode = "AMAZON_COGNITO_USER_POOLS"

    def as_context(self, source_ip=None):
        return {"sub": "reader", "sourceIp": [source_ip]}


def test_an_event_api_reader_that_stops_reading_is_disconnected_with_an_error():
    import base64
    import json

    from aiohttp import WSMsgType, web
    from aiohttp.test_utils import TestClient, TestServer

    namespace = ChannelNamespace("rooms", publish_modes=("AMAZON_COGNITO_USER_POOLS",),
                                 subscribe_modes=("AMAZON_COGNITO_USER_POOLS",))
    api = LocalEventApi([namespace], verify=lambda _: _Identity(), engine_factory=JSEngine,
                        max_outbox_bytes=256 * 1024)
    header = base64.urlsafe_b64encode(json.dumps({"host": "local", "Authorization": "token"}).encode()).decode()

    async def scenario():
        app = web.Application()
        api.routes(app)
        async with TestClient(TestServer(app)) as client:
            slow = await client.ws_connect("/event/realtime", protocols=("aws-appsync-event-ws", f"header-{header}"))
            await slow.send_json({"type": "connection_init"})
            assert (await slow.receive_json())["type"] == "connection_ack"
            await slow.send_json({"type": "subscribe", "id": "s1", "channel": "/rooms/stage"})
            assert (await slow.receive_json())["type"] == "subscribe_success"
            # the reader stops reading; 1 MB per publish fills the socket's buffers, then the outbox
            event = json.dumps({"text": "y" * 200_000})
            publishes = 0
            while api.slow_consumers_disconnected == 0 and publishes < 200:
                response = await client.post("/event", json={"channel": "/rooms/stage", "events": [event] * 5},
                                             headers={"Authorization": "token"})
                assert response.status == 200
                publishes += 1
            left = api._subscriptions.get("rooms", [])  # noqa: SLF001 - the registry
            frames = []
            while True:
                message = await asyncio.wait_for(slow.receive(), 10)
                if message.type != WSMsgType.TEXT:
                    frames.append(message.type)
                    break
                frames.append(json.loads(message.data).get("type"))
            return publishes, left, frames

    try:
        publishes, left, frames = asyncio.run(scenario())
    finally:
        api.close()
    assert api.slow_consumers_disconnected == 1, f"not disconnected after {publishes} publishes"
    assert left == []  # its subscription ended with it
    # what the socket still held, then the error, then the close (or the socket aborted)
    assert frames[-1] in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR)
    assert set(frames[:-1]) <= {"data", "error"}
