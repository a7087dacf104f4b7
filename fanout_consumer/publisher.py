"""Calls the API's IAM-only `publishBatch` mutation, signed with SigV4 (service appsync)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from fanout_consumer.batching import Publish

PUBLISH_BATCH = """
mutation PublishBatch($roomId: ID!, $messages: [BatchedMessageInput!]!, $replies: [BatchedReplyInput!]) {
  publishBatch(roomId: $roomId, messages: $messages, replies: $replies) {
    roomId
    batchId
    senders { id name }
    messages { i s x }
    replies { p i s x }
  }
}
"""


# events stacks: the same items packed without moving the room's cursor (a query: it notifies no one).
PENDING_BATCH = PUBLISH_BATCH.replace("mutation PublishBatch", "query PendingBatch").replace(
    "publishBatch(", "pendingBatch(")


class DuplicateBatch(Exception):
    """Every message in the batch was already published: nothing to do."""


class PublishError(Exception):
    """The publish failed and must be retried."""


class AppSyncPublisher:
    def __init__(self, graphql_url: str, region: str, credentials=None, timeout: float = 10.0, ssl_context=None):
        self.graphql_url = graphql_url
        self.ssl_context = ssl_context  # a local endpoint's CA (chatstack local --tls); AWS needs none
        self.region = region
        self.timeout = timeout
        if credentials is None:
            import botocore.session

            credentials = botocore.session.get_session().get_credentials()
        self.credentials = credentials

    def publish(self, publish: Publish, timeout: float | None = None, pending: bool = False) -> dict:
        """Publish one batch; `timeout` (seconds) bounds this call, default the publisher's.
        `pending`: only pack it (Query.pendingBatch), the room's cursor stays where it is."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps(
            {
                "query": PENDING_BATCH if pending else PUBLISH_BATCH,
                "variables": {"roomId": publish.room_id, "messages": [m.as_input() for m in publish.messages],
                              "replies": [r.as_input() for r in publish.replies]},
            }
        )
        request = AWSRequest(
            method="POST", url=self.graphql_url, data=body, headers={"Content-Type": "application/json"}
        )
        SigV4Auth(self.credentials, "appsync", self.region).add_auth(request)
        http_request = urllib.request.Request(
            self.graphql_url, data=body.encode(), headers=dict(request.headers.items()), method="POST"
        )
        try:
            with urllib.request.urlopen(http_request, timeout=timeout or self.timeout,
                                        context=self.ssl_context) as response:
                document = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise PublishError(f"HTTP {error.code}: {error.read()[:500]!r}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise PublishError(str(error)) from error
        errors = document.get("errors") or []
        if any(e.get("errorType") == "DuplicateBatch" for e in errors):
            raise DuplicateBatch(publish.room_id)
        if errors:
            raise PublishError("; ".join(f"{e.get('errorType')}: {e.get('message')}" for e in errors))
        return document["data"]["pendingBatch" if pending else "publishBatch"]
