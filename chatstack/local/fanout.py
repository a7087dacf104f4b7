"""The batched fan-out consumer for the local stack: polls the local (moto) DynamoDB
stream once per flush interval, hands records to the same `fanout_consumer.handler.process`
the Lambda runs, and publishes through the local endpoint with IAM (SigV4) auth.

Like the Lambda event source mapping, it checkpoints per shard and, when a publish fails,
re-reads the shard from the first failed record (the API's cursor drops duplicates).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from fanout_consumer.batching import DEFAULT_MAX_BATCH_BYTES, Publish, StreamRoomEvent
from fanout_consumer.handler import process

log = logging.getLogger(__name__)


class LocalStreamConsumer:
    def __init__(
        self,
        streams_client,
        stream_arn: str,
        publish: Callable[[Publish, float], object],
        flush_interval_ms: int = 1000,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        tell: Callable[[StreamRoomEvent, float], object] | None = None,
    ):
        self._streams = streams_client
        self._stream_arn = stream_arn
        self._publish = publish
        self._tell = tell  # events stacks: room events to the room's channel
        self._interval = flush_interval_ms / 1000
        self._max_batch_bytes = max_batch_bytes
        self._iterators: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.flushes = 0
        self.published = 0
        self.duplicates = 0

    def start_at_latest(self) -> None:
        for shard in self._shards():
            self._iterators[shard] = self._streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def _shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def flush(self) -> int:
        """One batching window: read every shard, publish, checkpoint. Returns records read."""
        read = 0
        for shard in self._shards():
            iterator = self._iterators.get(shard) or self._streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            records = response["Records"]
            read += len(records)
            result = process(records, self._publish, self._max_batch_bytes, tell=self._tell) if records else None
            if result and result["batchItemFailures"]:
                # Retry from the failed record next flush, as the event source mapping does.
                failed = result["batchItemFailures"][0]["itemIdentifier"]
                self._iterators[shard] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    SequenceNumber=failed,
                )["ShardIterator"]
            else:
                self._iterators[shard] = response.get("NextShardIterator") or iterator
            if result:
                self.published += result["published"]
                self.duplicates += result["duplicates"]
        self.flushes += 1
        return read

    def start(self) -> None:
        self.start_at_latest()
        self._thread = threading.Thread(target=self._run, name="local-fanout", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # a bad poll must not stop fan-out; the next flush retries
                log.exception("local fan-out flush failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
