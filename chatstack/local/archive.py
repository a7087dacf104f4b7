"""The local stack's archive: a stream consumer writing every chat event (archive_consumer.records)
to `.chatstack/<stack>/archive/event=<stack>/date=.../hour=.../part-local.jsonl`, the layout the
deployed archive has in S3, so `chatstack report` and `chatstack export --archive` work offline.

It polls the local (moto) stream once a second. Where it got to is kept per shard in
`<archive>/.checkpoint.json` (written after the lines), so a restart with kept state neither
loses nor repeats records (readers dedupe on `key` all the same: delivery is at least once).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from archive_consumer.records import archive_record, partition, to_lines
from chatstack.local.state_file import private_dir, write_atomically

log = logging.getLogger(__name__)
CHECKPOINT = ".checkpoint.json"
PART = "part-local.jsonl"


class LocalArchiver:
    def __init__(self, streams_client: Any, stream_arn: str, directory: Path, event: str, interval: float = 1.0):
        self._streams = streams_client
        self._stream_arn = stream_arn
        self.directory = private_dir(directory)
        self._event = event
        self._interval = interval
        self._checkpoint_path = self.directory / CHECKPOINT
        self._checkpoint: dict[str, str] = self._read_checkpoint()
        # Where each shard's next read starts (kept between polls: one GetRecords a shard a poll).
        self._iterators: dict[str, str] = {}
        self._shards: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0

    def _read_checkpoint(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._checkpoint_path.read_text()))
        except (FileNotFoundError, ValueError):
            return {}

    def _iterator(self, shard: str) -> str:
        after = self._checkpoint.get(shard)
        if after:
            try:
                return self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    SequenceNumber=after)["ShardIterator"]
            except Exception:  # the kept state was discarded (--fresh): start from what there is
                log.info("archive checkpoint %s not in the stream; reading it from its start", after)
        return self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    def poll(self) -> int:
        """Read every shard to its end, append the chat events, checkpoint. Returns records written."""
        written = 0
        if not self._shards:
            described = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
            self._shards = [s["ShardId"] for s in described]
        for shard in self._shards:
            iterator = self._iterators.get(shard) or self._iterator(shard)
            while iterator:
                response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records = response["Records"]
                self._iterators[shard] = response.get("NextShardIterator") or iterator
                if not records:
                    break
                by_partition: dict[str, list[dict[str, Any]]] = defaultdict(list)
                for record in records:
                    archived = archive_record(record, self._event)
                    if archived is not None:
                        by_partition[partition(archived)].append(archived)
                for folder, items in by_partition.items():
                    path = self.directory / folder / PART
                    private_dir(path.parent)
                    with open(path, "a", encoding="utf-8") as handle:
                        handle.write(to_lines(items))
                    written += len(items)
                self._checkpoint[shard] = records[-1]["dynamodb"]["SequenceNumber"]
                write_atomically(self._checkpoint_path, json.dumps(self._checkpoint).encode())
                iterator = response.get("NextShardIterator")
        self.written += written
        return written

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="local-archive", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # a bad poll must not stop the archive; the next one re-reads from the checkpoint
                log.exception("local archive poll failed")
                self._iterators.clear()
                self._shards = []

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        try:
            self.poll()  # what was written up to the stop is in the archive
        except Exception:
            log.exception("final local archive poll failed")
