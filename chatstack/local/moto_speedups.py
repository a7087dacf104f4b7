"""moto's DynamoDB at a cost that follows the rows a request touches, not the table's size.

moto keeps a table as {hash key: {range key: item}}, which is right; two of its operations
ignore that and walk or copy the whole table (measured, issue 31):

- **Query** on the table's own key sorts every item of the table and then keeps the
  partition's (`Table.all_items()`): a 50-message page took 94-266 ms at 20k items.
  Here each partition keeps its range keys in order (`_Partition`), and moto is handed
  only the items a page can come from: within the key condition, after the start key, at
  most Limit + 1. moto's own code then pages, filters and projects them as before, so
  results are moto's (the comparison test runs both on random tables).
- **TransactWriteItems** deep-copies every table it touches, stream records included,
  so that it can put the copy back if the transaction is cancelled: 0.3 s at 2.5k items,
  2.3 s at 20k. Here the copy is of the items the transaction names (and the stream's
  length): a cancelled transaction still leaves the table, and its stream, as they were.

- **Answers** to item operations go through moto's model-driven serializer, which walks
  the DynamoDB service model for every attribute of every item: a third of the moto
  process's time under load. Their results are already DynamoDB's JSON, so they are
  written with `json.dumps` (binary values base64, absent values left out, as the
  serializer does); the comparison test checks the two agree.

Applied once, in the moto process (chatstack.local.moto_server).
"""

from __future__ import annotations

import base64
import bisect
import calendar
import copy
import datetime
import inspect
import json
import time
import types
from typing import Any

_MISSING = object()


class _Partition(dict):
    """A table partition ({range key: item}) that keeps its range keys in order as keys come
    and go (bisect: a memmove, not a sort), so a Query finds its page by bisection."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        keys = sorted(self, key=lambda key: key.cast_value)
        self._values = [key.cast_value for key in keys]
        self._keys = keys

    def __reduce__(self) -> Any:  # a snapshot holds a plain dict; the order is rebuilt on use
        return dict, (dict(self),)

    def _add(self, key: Any) -> None:
        if not dict.__contains__(self, key):
            index = bisect.bisect_left(self._values, key.cast_value)
            self._values.insert(index, key.cast_value)
            self._keys.insert(index, key)

    def _remove(self, key: Any) -> None:
        if dict.__contains__(self, key):
            index = bisect.bisect_left(self._values, key.cast_value)
            while self._keys[index] != key:  # equal values of another type cannot occur: one key type
                index += 1
            del self._values[index], self._keys[index]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._remove(key)
        super().__delitem__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._remove(key)
        return super().pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> Any:
        key, value = super().popitem()
        self._values.remove(key.cast_value)
        self._keys.remove(key)
        return key, value

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        super().clear()
        self._values, self._keys = [], []

    def window(self, comparison: str | None, bounds: list[Any], start: Any, forward: bool,
               limit: int | None) -> list[Any]:
        """The items a page can come from, in key order: from the key condition's range and
        after the exclusive start key, in the query's direction, at most `limit` + 1 of them
        (DynamoDB, and moto, apply Limit before any filter). moto then checks the key
        condition, the start key and the filter on these as on the whole partition."""
        values, low, high = self._values, 0, len(self._values)
        operator = (comparison or "").upper()
        if operator == "=":
            low, high = bisect.bisect_left(values, bounds[0]), bisect.bisect_right(values, bounds[0])
        elif operator in ("<", "<="):
            high = (bisect.bisect_left if operator == "<" else bisect.bisect_right)(values, bounds[0])
        elif operator in (">", ">="):
            low = (bisect.bisect_right if operator == ">" else bisect.bisect_left)(values, bounds[0])
        elif operator == "BETWEEN":
            low, high = bisect.bisect_left(values, bounds[0]), bisect.bisect_right(values, bounds[1])
        elif operator == "BEGINS_WITH":
            prefix = bounds[0]
            low = bisect.bisect_left(values, prefix)
            if prefix and isinstance(prefix, str) and ord(prefix[-1]) < 0x10FFFF:
                high = bisect.bisect_left(values, prefix[:-1] + chr(ord(prefix[-1]) + 1), low)
        elif operator:
            raise TypeError(f"no window for {comparison}")
        if start is not None:
            if forward:
                low = max(low, bisect.bisect_right(values, start))
            else:
                high = min(high, bisect.bisect_left(values, start))
        # One item past the page (or past the range) in the direction of travel: moto, like
        # DynamoDB, answers a LastEvaluatedKey when it stops at Limit with any item left.
        if forward:
            low, high = low, min(len(values), low + limit + 1 if limit else high + 1)
        else:
            low, high = max(0, high - limit - 1 if limit else low - 1), high
        return [dict.__getitem__(self, key) for key in self._keys[low:max(low, high)]]


def partition_queries() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "partition_only", False):
        return
    moto_query = Table.query
    signature = inspect.signature(moto_query)

    def candidates(table: Any, hash_key: Any, arguments: dict[str, Any]) -> list[Any]:
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        if not table.range_key_attr:
            return [partition]
        if not isinstance(partition, _Partition):
            partition = table.items[hash_key] = _Partition(partition)
        if table.range_key_type not in ("S", "N") or arguments.get("filter_kwargs") \
                or arguments.get("range_key_conditions") and len(arguments["range_key_conditions"]) > 1:
            return list(partition.values())  # moto's own order and checks on the whole partition
        start = (arguments.get("exclusive_start_key") or {}).get(table.range_key_attr)
        try:
            return partition.window(arguments.get("range_comparison"),
                                    [b.cast_value for b in arguments.get("range_objs") or []],
                                    DynamoType(start).cast_value if start else None,
                                    arguments.get("scan_index_forward", True) is not False, arguments.get("limit"))
        except (TypeError, ValueError, ArithmeticError):  # bounds of another type: moto decides
            return list(partition.values())

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, hash_key, *args, **kwargs).arguments
        if arguments.get("index_name") or hash_key is None:
            return moto_query(self, hash_key, *args, **kwargs)  # an index: its partitions span the table
        rows = candidates(self, hash_key, arguments)
        self.all_items = lambda: rows  # for this call only (moto runs one request at a time)
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.partition_only = True  # type: ignore[attr-defined]
    query.__wrapped__ = moto_query  # type: ignore[attr-defined]
    Table.query = query


class _TouchedItems:
    """What a transaction's items and the tables' streams were before it ran."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item or _MISSING)
        self.streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            op = next(iter(entry.values()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            attributes = op.get("Item") if "Item" in op else op.get("Key")
            if not isinstance(attributes, dict) or table.hash_key_attr not in attributes:
                continue
            try:
                hash_value = DynamoType(attributes[table.hash_key_attr])
                range_value = (DynamoType(attributes[table.range_key_attr])
                               if table.range_key_attr and table.range_key_attr in attributes else None)
            except Exception:  # malformed: moto refuses it before anything is written
                continue
            before = self._get(table, hash_value, range_value)
            self.items.append((table, hash_value, range_value,
                               before if before is _MISSING else copy.deepcopy(before)))
            if table.stream_shard is not None and table.name not in self.streams:
                self.streams[table.name] = (table.stream_shard, len(table.stream_shard.items))

    @staticmethod
    def _get(table: Any, hash_value: Any, range_value: Any) -> Any:
        if table.range_key_attr:
            return table.items.get(hash_value, {}).get(range_value, _MISSING)
        return table.items.get(hash_value, _MISSING)

    def restore(self) -> None:
        for table, hash_value, range_value, item in reversed(self.items):
            if table.range_key_attr:
                partition = table.items.setdefault(hash_value, {})
                if item is _MISSING:
                    partition.pop(range_value, None)
                    if not partition:
                        table.items.pop(hash_value, None)
                else:
                    partition[range_value] = item
            elif item is _MISSING:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        for shard, length in self.streams.values():
            del shard.items[length:]  # a cancelled transaction writes nothing to the stream


def item_level_transactions() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "item_level", False):
        return

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # moto's whole-table backup: the same table back (the items are restored below instead)
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    moto_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = _TouchedItems(self, transact_items)
        try:
            return moto_transact(self, transact_items)
        except Exception:
            touched.restore()
            raise

    transact_write_items.item_level = True  # type: ignore[attr-defined]
    transact_write_items.__wrapped__ = moto_transact  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items


# Operations whose results are items and counts only (no timestamps or other typed values).
ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                             "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):  # epoch seconds, truncated to milliseconds (Smithy)
        seconds = calendar.timegm(value.timetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items() if inner is not None}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


def _answer_directly(handler: Any, actions: frozenset[str]) -> None:
    """`handler`'s results for `actions` written with json.dumps instead of moto's serializer."""
    if getattr(handler.serialized, "direct", False):
        return
    moto_serialized = handler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if not isinstance(result, dict) or self._get_action() not in actions:
            return moto_serialized(self, action_result)  # errors, and every other operation
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, json.dumps(_plain(result))

    serialized.direct = True  # type: ignore[attr-defined]
    serialized.__wrapped__ = moto_serialized  # type: ignore[attr-defined]
    handler.serialized = serialized


def direct_item_answers() -> None:
    from moto.dynamodb.responses import DynamoHandler

    _answer_directly(DynamoHandler, ITEM_OPERATIONS)


def direct_stream_answers() -> None:
    """GetRecords the same way: 1,000 records took 324 ms through moto's serializer, under the
    lock every request waits for; the batched fan-out and the archive read every second."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    _answer_directly(DynamoDBStreamsHandler, frozenset({"GetRecords"}))


ITERATOR_LIFETIME_SECONDS = 15 * 60  # DynamoDB Streams: an iterator expires 15 minutes after it is issued


def expiring_shard_iterators() -> None:
    """moto keeps every shard iterator it ever issued, and each GetRecords issues one: a stream
    consumer polling every second grew the state (and every snapshot) without end. Iterators
    expire here as DynamoDB's do."""
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if getattr(DynamoDBStreamsBackend.get_records, "expiring", False):
        return

    def expiring(method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            issued = self.__dict__.setdefault("_iterators_issued", {})
            before = set(self.shard_iterators)
            result = method(self, *args, **kwargs)
            now = time.time()  # wall clock: kept in snapshots across restarts
            for arn in self.shard_iterators.keys() - before:
                issued[arn] = now
            for arn, at in list(issued.items()):
                if now - at <= ITERATOR_LIFETIME_SECONDS:
                    break  # issued in order: the rest are younger
                del issued[arn]
                self.shard_iterators.pop(arn, None)
            return result

        wrapper.expiring = True  # type: ignore[attr-defined]
        wrapper.__wrapped__ = method  # type: ignore[attr-defined]
        return wrapper

    DynamoDBStreamsBackend.get_records = expiring(DynamoDBStreamsBackend.get_records)
    DynamoDBStreamsBackend.get_shard_iterator = expiring(DynamoDBStreamsBackend.get_shard_iterator)


def apply() -> None:
    partition_queries()
    item_level_transactions()
    direct_item_answers()
    direct_stream_answers()
    expiring_shard_iterators()
