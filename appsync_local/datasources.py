"""Data sources for the local runtime: AMAZON_DYNAMODB (via a boto3 client) and NONE.

A DynamoDB data source takes the request object an APPSYNC_JS request handler returned
(typed attribute values, e.g. from `util.dynamodb.toMapValues` or the
`@aws-appsync/utils/dynamodb` helpers), issues the equivalent boto3 call, and shapes the result
as AppSync does: untyped JSON, Query/Scan as {items, nextToken, scannedCount}. Failures become
`DataSourceError(message, type)` with AppSync's error types (`DynamoDB:<exception name>`), which
the executor hands to the response handler as ctx.error. Every DynamoDB API call is recorded
with the IAM actions it needs.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError


class DataSourceError(Exception):
    """A data-source failure as AppSync passes it to the response handler."""

    def __init__(self, message: str, error_type: str, result: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.result = result


class CallLog(deque):
    """The most recent DynamoDB calls (bounded: a long-running endpoint must not keep every
    call's parameters), plus every IAM action ever used, for policy checks."""

    def __init__(self, size: int = 1000) -> None:
        super().__init__(maxlen=size)
        self.iam_actions: set[str] = set()

    def append(self, call: DynamoDBCall) -> None:
        self.iam_actions.update(call.iam_actions)
        super().append(call)

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class DynamoDBCall:
    """One DynamoDB API call the data source made."""

    operation: str  # API name, e.g. "Query", "TransactWriteItems"
    iam_actions: tuple[str, ...]  # e.g. ("dynamodb:PutItem", "dynamodb:UpdateItem")
    tables: tuple[str, ...]
    index: str | None = None
    request: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


# ---------------------------------------------------------------------------- value conversion


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        raise DataSourceError(f"not a number: {value!r}", "DynamoDB:ValidationException")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DataSourceError(f"binary value is not base64: {value!r}", "DynamoDB:ValidationException") from None


def to_attribute_value(value: Any) -> dict[str, Any]:
    """AppSync typed JSON ({"N": 12}, {"B": "<base64>"}, ...) to a boto3 AttributeValue."""
    if not isinstance(value, dict) or len(value) != 1:
        raise DataSourceError(f"not a DynamoDB typed value: {json.dumps(value)}", "DynamoDB:ValidationException")
    (kind, inner), = value.items()
    if kind == "S":
        return {"S": str(inner)}
    if kind == "N":
        return {"N": _number_text(inner)}
    if kind == "BOOL":
        return {"BOOL": bool(inner)}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "SS":
        return {"SS": [str(v) for v in inner]}
    if kind == "NS":
        return {"NS": [_number_text(v) for v in inner]}
    if kind == "BS":
        return {"BS": [_b64(v) for v in inner]}
    if kind == "L":
        return {"L": [to_attribute_value(v) for v in inner]}
    if kind == "M":
        return {"M": to_attribute_map(inner)}
    raise DataSourceError(f"unknown DynamoDB type {kind!r}", "DynamoDB:ValidationException")


def to_attribute_map(values: dict[str, Any] | None) -> dict[str, Any]:
    return {k: to_attribute_value(v) for k, v in (values or {}).items()}


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() and "e" not in text.lower() and "." not in text else value


def from_attribute_value(value: dict[str, Any]) -> Any:
    """A boto3 AttributeValue to plain JSON (numbers as int/float, binary as base64, sets as lists)."""
    (kind, inner), = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        return _number(inner)
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind == "B":
        return base64.b64encode(bytes(inner)).decode("ascii")
    if kind == "SS":
        return list(inner)
    if kind == "NS":
        return [_number(v) for v in inner]
    if kind == "BS":
        return [base64.b64encode(bytes(v)).decode("ascii") for v in inner]
    if kind == "L":
        return [from_attribute_value(v) for v in inner]
    if kind == "M":
        return from_attribute_map(inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def from_attribute_map(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: from_attribute_value(v) for k, v in values.items()}


def encode_next_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """As the Amplify simulator does: base64 of the JSON LastEvaluatedKey."""
    if not last_evaluated_key:
        return None
    return base64.b64encode(json.dumps(last_evaluated_key, sort_keys=True).encode()).decode("ascii")


# What AppSync answers for a nextToken it did not issue (aws-amplify/amplify-cli#3411).
INVALID_NEXT_TOKEN = DataSourceError(
    "com.amazonaws.deepdish.common.pagination.InvalidPaginationTokenException: Invalid pagination token given.",
    "DynamoDB:UserIllegalArgumentException",
)


def decode_next_token(token: Any) -> dict[str, Any]:
    """The LastEvaluatedKey inside a nextToken; any token that is not one is refused as AppSync
    refuses it, before it reaches DynamoDB (whose parameter errors would leak botocore's text)."""
    try:
        key = json.loads(base64.b64decode(str(token).encode("ascii"), validate=True))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise DataSourceError(INVALID_NEXT_TOKEN.message, INVALID_NEXT_TOKEN.error_type) from None
    valid = isinstance(key, dict) and key and all(
        isinstance(name, str) and isinstance(value, dict) and len(value) == 1
        and next(iter(value)) in ("S", "N", "B") and isinstance(next(iter(value.values())), str)
        for name, value in key.items()
    )
    if not valid:  # key attributes are scalars: S, N or B, each a string
        raise DataSourceError(INVALID_NEXT_TOKEN.message, INVALID_NEXT_TOKEN.error_type)
    return key


# ---------------------------------------------------------------------------- expressions


class _Expressions:
    """Collects ExpressionAttributeNames/Values from several AppSync expression objects."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def add(self, expression: dict[str, Any] | None) -> str | None:
        if not expression:
            return None
        for name, attr in (expression.get("expressionNames") or {}).items():
            if self.names.get(name, attr) != attr:
                raise DataSourceError(f"expression name {name} is defined twice", "DynamoDB:ValidationException")
            self.names[name] = attr
        for name, value in (expression.get("expressionValues") or {}).items():
            converted = to_attribute_value(value)
            if self.values.get(name, converted) != converted:
                raise DataSourceError(f"expression value {name} is defined twice", "DynamoDB:ValidationException")
            self.values[name] = converted
        return expression.get("expression")

    def into(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def _set(params: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        params[key] = value


def _condition_params(request: dict[str, Any], exprs: _Expressions) -> dict[str, Any]:
    params: dict[str, Any] = {}
    _set(params, "ConditionExpression", exprs.add(request.get("condition")))
    return params


def _client_error(exc: ClientError) -> DataSourceError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "DynamoDbException")
    message = error.get("Message") or code
    if code == "ConditionalCheckFailedException" and not error.get("Message"):
        message = "The conditional request failed"
    return DataSourceError(message, f"DynamoDB:{code}")


# ---------------------------------------------------------------------------- data sources


class NoneDataSource:
    """The NONE data source: the result is the request's `payload`."""

    type = "NONE"

    def invoke(self, request: Any) -> Any:
        return request.get("payload") if isinstance(request, dict) else None


class DynamoDBDataSource:
    """An AMAZON_DYNAMODB data source bound to one table."""

    type = "AMAZON_DYNAMODB"

    def __init__(self, client: Any, table_name: str, *, calls: CallLog | None = None) -> None:
        self.client = client
        self.table_name = table_name
        self.calls: CallLog = calls if calls is not None else CallLog()
        self._lock = threading.Lock()

    # -- bookkeeping
    def _record(self, operation: str, actions: list[str], tables: list[str], params: dict, index: str | None = None):
        call = DynamoDBCall(operation, tuple(actions), tuple(tables), index, params)
        with self._lock:
            self.calls.append(call)

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self.client, _SNAKE[operation])
        try:
            return method(**params)
        except ClientError as exc:
            raise _client_error(exc) from None

    # -- dispatch
    def invoke(self, request: Any) -> Any:
        if not isinstance(request, dict) or "operation" not in request:
            raise DataSourceError("the request object has no operation", "DynamoDB:InvalidRequest")
        operation = request["operation"]
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise DataSourceError(f"Unsupported operation {operation!r}", "DynamoDB:UnsupportedOperation")
        try:
            return handler(request)
        except ParamValidationError:
            # botocore refused the request before sending it; its text names botocore internals.
            raise DataSourceError("One or more parameter values were invalid.",
                                  "DynamoDB:ValidationException") from None

    def _op_GetItem(self, request: dict) -> Any:
        exprs = _Expressions()
        params: dict[str, Any] = {"TableName": self.table_name, "Key": to_attribute_map(request.get("key"))}
        _set(params, "ConsistentRead", request.get("consistentRead"))
        _set(params, "ProjectionExpression", exprs.add(request.get("projection")))
        exprs.into(params)
        self._record("GetItem", ["dynamodb:GetItem"], [self.table_name], params)
        return from_attribute_map(self._call("GetItem", params).get("Item"))

    def _op_PutItem(self, request: dict) -> Any:
        exprs = _Expressions()
        item = {**to_attribute_map(request.get("attributeValues")), **to_attribute_map(request.get("key"))}
        params: dict[str, Any] = {"TableName": self.table_name, "Item": item}
        params.update(_condition_params(request, exprs))
        exprs.into(params)
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        self._record("PutItem", ["dynamodb:PutItem"], [self.table_name], params)
        try:
            self.client.put_item(**params)
        except ClientError as exc:
            self._equal_after_failed_condition(exc, request, from_attribute_map(item))
        return from_attribute_map(item)

    def _equal_after_failed_condition(self, exc: ClientError, request: dict, expected: dict | None) -> None:
        """AppSync: a failed condition still succeeds if the item already holds the expected values."""
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException" or expected is None:
            raise _client_error(exc) from None
        current = from_attribute_map(exc.response.get("Item"))
        ignore = set((request.get("condition") or {}).get("equalsIgnore") or [])
        if current is None or {k: v for k, v in current.items() if k not in ignore} != {
            k: v for k, v in expected.items() if k not in ignore
        }:
            raise _client_error(exc) from None

    def _op_UpdateItem(self, request: dict) -> Any:
        exprs = _Expressions()
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_attribute_map(request.get("key")),
            "UpdateExpression": exprs.add(request.get("update")),
            "ReturnValues": "ALL_NEW",
        }
        params.update(_condition_params(request, exprs))
        exprs.into(params)
        self._record("UpdateItem", ["dynamodb:UpdateItem"], [self.table_name], params)
        return from_attribute_map(self._call("UpdateItem", params).get("Attributes"))

    def _op_DeleteItem(self, request: dict) -> Any:
        exprs = _Expressions()
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_attribute_map(request.get("key")),
            "ReturnValues": "ALL_OLD",
        }
        params.update(_condition_params(request, exprs))
        exprs.into(params)
        self._record("DeleteItem", ["dynamodb:DeleteItem"], [self.table_name], params)
        return from_attribute_map(self._call("DeleteItem", params).get("Attributes"))

    def _read_params(self, request: dict, exprs: _Expressions) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self.table_name}
        _set(params, "IndexName", request.get("index"))
        _set(params, "Limit", request.get("limit"))
        _set(params, "ConsistentRead", request.get("consistentRead"))
        _set(params, "Select", request.get("select"))
        _set(params, "FilterExpression", exprs.add(request.get("filter")))
        _set(params, "ProjectionExpression", exprs.add(request.get("projection")))
        if request.get("nextToken"):
            params["ExclusiveStartKey"] = decode_next_token(request["nextToken"])
        return params

    @staticmethod
    def _page(response: dict[str, Any]) -> dict[str, Any]:
        return {
            "items": [from_attribute_map(item) for item in response.get("Items", [])],
            "nextToken": encode_next_token(response.get("LastEvaluatedKey")),
            "scannedCount": response.get("ScannedCount", 0),
        }

    def _op_Query(self, request: dict) -> Any:
        exprs = _Expressions()
        key_condition = exprs.add(request.get("query"))
        if not key_condition:
            raise DataSourceError("Query needs a query expression", "DynamoDB:ValidationException")
        params = self._read_params(request, exprs)
        params["KeyConditionExpression"] = key_condition
        _set(params, "ScanIndexForward", request.get("scanIndexForward"))
        exprs.into(params)
        self._record("Query", ["dynamodb:Query"], [self.table_name], params, params.get("IndexName"))
        return self._page(self._call("Query", params))

    def _op_Scan(self, request: dict) -> Any:
        exprs = _Expressions()
        params = self._read_params(request, exprs)
        _set(params, "Segment", request.get("segment"))
        _set(params, "TotalSegments", request.get("totalSegments"))
        exprs.into(params)
        self._record("Scan", ["dynamodb:Scan"], [self.table_name], params, params.get("IndexName"))
        return self._page(self._call("Scan", params))

    def _op_Sync(self, request: dict) -> Any:
        raise DataSourceError("Sync is not supported by the local runtime", "DynamoDB:UnsupportedOperation")

    def _op_BatchGetItem(self, request: dict) -> Any:
        tables = request.get("tables") or {}
        request_items: dict[str, Any] = {}
        for table, spec in tables.items():
            exprs = _Expressions()
            entry: dict[str, Any] = {"Keys": [to_attribute_map(k) for k in spec.get("keys", [])]}
            _set(entry, "ConsistentRead", spec.get("consistentRead"))
            _set(entry, "ProjectionExpression", exprs.add(spec.get("projection")))
            if exprs.names:
                entry["ExpressionAttributeNames"] = exprs.names
            request_items[table] = entry
        params = {"RequestItems": request_items}
        self._record("BatchGetItem", ["dynamodb:BatchGetItem"], list(tables), params)
        response = self._call("BatchGetItem", params)
        found = {t: [from_attribute_map(i) for i in items] for t, items in response.get("Responses", {}).items()}
        data: dict[str, list[Any]] = {}
        for table, spec in tables.items():
            ordered = []
            for key in spec.get("keys", []):
                plain = from_attribute_map(to_attribute_map(key)) or {}
                match = next(
                    (item for item in found.get(table, []) if all(item.get(k) == v for k, v in plain.items())), None
                )
                ordered.append(match)
            data[table] = ordered
        unprocessed = {
            t: [from_attribute_map(k) for k in v.get("Keys", [])]
            for t, v in (response.get("UnprocessedKeys") or {}).items()
        }
        return {"data": data, "unprocessedKeys": {t: unprocessed.get(t, []) for t in tables}}

    def _batch_write(self, request: dict, kind: str) -> Any:
        tables = request.get("tables") or {}
        request_items: dict[str, Any] = {}
        for table, entries in tables.items():
            if kind == "Put":
                request_items[table] = [{"PutRequest": {"Item": to_attribute_map(e)}} for e in entries]
            else:
                request_items[table] = [{"DeleteRequest": {"Key": to_attribute_map(e)}} for e in entries]
        params = {"RequestItems": request_items}
        self._record(f"Batch{kind}Item", ["dynamodb:BatchWriteItem"], list(tables), params)
        response = self._call("BatchWriteItem", params)
        unprocessed: dict[str, list[Any]] = {t: [] for t in tables}
        for table, reqs in (response.get("UnprocessedItems") or {}).items():
            for r in reqs:
                body = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                unprocessed.setdefault(table, []).append(from_attribute_map(body))
        data = {t: [from_attribute_map(to_attribute_map(e)) for e in entries] for t, entries in tables.items()}
        return {"data": data, ("unprocessedItems" if kind == "Put" else "unprocessedKeys"): unprocessed}

    def _op_BatchPutItem(self, request: dict) -> Any:
        return self._batch_write(request, "Put")

    def _op_BatchDeleteItem(self, request: dict) -> Any:
        return self._batch_write(request, "Delete")

    def _op_TransactGetItems(self, request: dict) -> Any:
        items = request.get("transactItems") or []
        transact = []
        for item in items:
            exprs = _Expressions()
            get: dict[str, Any] = {
                "TableName": item.get("table") or self.table_name,
                "Key": to_attribute_map(item["key"]),
            }
            _set(get, "ProjectionExpression", exprs.add(item.get("projection")))
            if exprs.names:
                get["ExpressionAttributeNames"] = exprs.names
            transact.append({"Get": get})
        params = {"TransactItems": transact}
        self._record(
            "TransactGetItems", ["dynamodb:GetItem"] * len(items), [t["Get"]["TableName"] for t in transact], params
        )
        try:
            response = self.client.transact_get_items(**params)
        except ClientError as exc:
            raise self._cancelled(exc, "items") from None
        return {
            "items": [from_attribute_map(r.get("Item")) for r in response.get("Responses", [])],
            "cancellationReasons": None,
        }

    def _op_TransactWriteItems(self, request: dict) -> Any:
        items = request.get("transactItems") or []
        transact: list[dict[str, Any]] = []
        actions: list[str] = []
        for item in items:
            exprs = _Expressions()
            op = item.get("operation")
            body: dict[str, Any] = {"TableName": item.get("table") or self.table_name}
            key = to_attribute_map(item.get("key"))
            if op == "PutItem":
                body["Item"] = {**to_attribute_map(item.get("attributeValues")), **key}
                wrapper, action = "Put", "dynamodb:PutItem"
            elif op == "UpdateItem":
                body["Key"] = key
                body["UpdateExpression"] = exprs.add(item.get("update"))
                wrapper, action = "Update", "dynamodb:UpdateItem"
            elif op == "DeleteItem":
                body["Key"] = key
                wrapper, action = "Delete", "dynamodb:DeleteItem"
            elif op == "ConditionCheck":
                body["Key"] = key
                wrapper, action = "ConditionCheck", "dynamodb:ConditionCheckItem"
            else:
                raise DataSourceError(f"Unsupported transaction operation {op!r}", "DynamoDB:ValidationException")
            condition = item.get("condition")
            _set(body, "ConditionExpression", exprs.add(condition))
            if condition and condition.get("returnValuesOnConditionCheckFailure"):
                body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            exprs.into(body)
            transact.append({wrapper: body})
            actions.append(action)
        params = {"TransactItems": transact}
        tables = [next(iter(t.values()))["TableName"] for t in transact]
        self._record("TransactWriteItems", actions, tables, params)
        try:
            self.client.transact_write_items(**params)
        except ClientError as exc:
            raise self._cancelled(exc, "keys") from None
        return {
            "keys": [from_attribute_map(to_attribute_map(item.get("key"))) for item in items],
            "cancellationReasons": None,
        }

    @staticmethod
    def _cancelled(exc: ClientError, field_name: str) -> DataSourceError:
        error = _client_error(exc)
        reasons = exc.response.get("CancellationReasons")
        if reasons is None:
            return error
        error.result = {
            field_name: None,
            "cancellationReasons": [
                {
                    "type": reason.get("Code", "None"),
                    "message": reason.get("Message") or "null",
                    **({"item": from_attribute_map(reason["Item"])} if reason.get("Item") else {}),
                }
                for reason in reasons
            ],
        }
        return error


_SNAKE = {
    "GetItem": "get_item",
    "UpdateItem": "update_item",
    "DeleteItem": "delete_item",
    "Query": "query",
    "Scan": "scan",
    "BatchGetItem": "batch_get_item",
    "BatchWriteItem": "batch_write_item",
}
