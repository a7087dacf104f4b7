"""Lambda entry point for the DynamoDB stream event source mapping.

Delivery guarantees: rooms are published in stream order; a failed publish reports its
first record as the batch item failure, so Lambda retries from there (records after it
are replayed too); the API's per-room cursor drops what was already published
(`DuplicateBatch`), so no subscriber sees a message twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from fanout_consumer.batching import DEFAULT_MAX_BATCH_BYTES, Publish, plan_publishes
from fanout_consumer.publisher import AppSyncPublisher, DuplicateBatch, PublishError

log = logging.getLogger(__name__)


def process(records: list[dict], publish: Callable[[Publish], object], max_batch_bytes: int) -> dict:
    """Publish every planned batch; return the Lambda partial-batch response."""
    counts = {"published": 0, "duplicates": 0}
    for planned in plan_publishes(records, max_batch_bytes):
        try:
            publish(planned)
            counts["published"] += 1
        except DuplicateBatch:
            counts["duplicates"] += 1
        except PublishError as error:
            log.warning("publish to room %s failed, retrying from %s: %s", planned.room_id,
                        planned.first_sequence, error)
            # Stream checkpoints are positions: report the earliest failed record.
            return {"batchItemFailures": [{"itemIdentifier": _record_sequence(records, planned)}], **counts}
    return {"batchItemFailures": [], **counts}


def _record_sequence(records: list[dict], planned: Publish) -> str:
    wanted = planned.first_sequence
    for record in records:
        raw = record["dynamodb"]["SequenceNumber"]
        if raw.zfill(len(wanted)) == wanted:
            return raw
    raise LookupError(wanted)


def handler(event, context=None):
    publisher = AppSyncPublisher(os.environ["GRAPHQL_URL"], os.environ["AWS_REGION"])
    max_bytes = int(os.environ.get("MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES))
    result = process(event["Records"], publisher.publish, max_bytes)
    log.info("fan-out: %s", result)
    return {"batchItemFailures": result["batchItemFailures"]}
