"""fanOutMode events: a room's packed batch (and its room events) published to the room's
channel on the stack's Event API (AppSync Events), over HTTP, signed with SigV4 (service
appsync). Subscribers receive each event as the JSON text published here."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from fanout_consumer.publisher import PublishError

ROOMS_NAMESPACE = "rooms"


def room_channel(room_id: str) -> str:
    """The channel a room's subscribers hold: /rooms/<roomId>."""
    return f"/{ROOMS_NAMESPACE}/{room_id}"


def channel_event(batch: dict) -> dict:
    """A packed MessageBatch (schema: MessageBatch) as a channel event: `kind` tells batches from
    room events (deletions, bans, pins), which share the channel."""
    return {"kind": "batch", **batch}


def room_event(event: dict) -> dict:
    """A RoomEvent (schema: RoomEvent) as a channel event."""
    return {"kind": "roomEvent", **event}


class EventsPublisher:
    """POST {events_url} {"channel", "events": [JSON text]}: the Event API's HTTP publish."""

    def __init__(self, events_url: str, region: str, credentials=None, timeout: float = 10.0, ssl_context=None):
        self.events_url = events_url
        self.region = region
        self.timeout = timeout
        self.ssl_context = ssl_context
        if credentials is None:
            import botocore.session

            credentials = botocore.session.get_session().get_credentials()
        self.credentials = credentials

    def publish(self, channel: str, events: list[dict], timeout: float | None = None) -> dict:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps({"channel": channel, "events": [json.dumps(e, ensure_ascii=False, separators=(",", ":"))
                                                           for e in events]})
        request = AWSRequest(method="POST", url=self.events_url, data=body,
                             headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials, "appsync", self.region).add_auth(request)
        http_request = urllib.request.Request(self.events_url, data=body.encode(),
                                              headers=dict(request.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=timeout or self.timeout,
                                        context=self.ssl_context) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise PublishError(f"Event API HTTP {error.code}: {error.read()[:500]!r}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise PublishError(f"Event API: {error}") from error
        if answer.get("failed"):
            raise PublishError(f"Event API refused {len(answer['failed'])} of {len(events)} events: "
                               f"{answer['failed'][:3]}")
        return answer
