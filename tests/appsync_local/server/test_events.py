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
