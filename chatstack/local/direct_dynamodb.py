"""The resolvers' data path to moto's DynamoDB: a private Unix socket, no HTTP, no botocore.

The local resolvers used to reach DynamoDB as any outside client does: botocore serialises
and signs, HTTP carries it, the local front verifies the signature, werkzeug routes it,
moto parses it again. Per `sendMessage` that was two such round trips, and the endpoint's
threads spent most of their time in them (issue 31: 181 mutations/s 8-way).

Here the moto process (chatstack.local.moto_server) also listens on `moto-<port>.sock` in
the stack's private state directory (0700; the socket 0600): only this user can connect, the
same trust as reading `localAdmin` from that directory. A request is one frame (the
operation and its JSON body exactly as DynamoDB's wire protocol has them); moto's own
DynamoDB handler answers it under the same lock, change count and "cannot save" refusal as
an HTTP request (moto_server.StatefulApp), so its behaviour and the crash-safe state stay
the moto process's. Why a second process and not moto in this one: a `kill -9` of
`chatstack local` must lose nothing acknowledged (the moto process saves when its parent
dies), and sign-ins' CPU stays off the endpoint's interpreter.

`DirectDynamoDB` is the client side: the methods of boto3's DynamoDB client that
appsync_local.datasources calls, with boto3's parameter checks, its result shapes (binary
values as bytes) and its `ClientError`s, so the data source cannot tell the difference.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

# The services served on the socket: X-Amz-Target prefix of each.
TARGET_PREFIXES = {"dynamodb": "DynamoDB_20120810.", "dynamodbstreams": "DynamoDBStreams_20120810."}
MAX_FRAME = 32 * 1024 * 1024  # a 16 MB BatchWriteItem, base64 and JSON overhead included
_HEADER = struct.Struct(">IH")  # frame length, then the target's length (request) or the status (answer)

# boto3 method -> operation: what appsync_local.datasources calls, and the stream consumers
# (chatstack.local.fanout, chatstack.local.archive).
OPERATIONS = {
    "dynamodb": {
        "get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem", "delete_item": "DeleteItem",
        "query": "Query", "scan": "Scan", "batch_get_item": "BatchGetItem", "batch_write_item": "BatchWriteItem",
        "transact_get_items": "TransactGetItems", "transact_write_items": "TransactWriteItems",
        "describe_table": "DescribeTable",
    },
    "dynamodbstreams": {
        "describe_stream": "DescribeStream", "get_shard_iterator": "GetShardIterator", "get_records": "GetRecords",
        "list_streams": "ListStreams",
    },
}


# ---- frames -------------------------------------------------------------------------------

def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("the other end closed the connection")
        chunks += chunk
    return bytes(chunks)


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    length, small = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if length > MAX_FRAME:
        raise ConnectionError(f"frame of {length} bytes refused (at most {MAX_FRAME})")
    return small, _read_exactly(sock, length)


def _send_frame(sock: socket.socket, small: int, payload: bytes) -> None:
    sock.sendall(_HEADER.pack(len(payload), small) + payload)


@contextlib.contextmanager
def _socket_address(path: Path):
    """A Unix socket's path is limited to 107 bytes; a longer one (a deep state directory) is
    reached through this process's descriptor of its directory (Linux's /proc/self/fd)."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    directory = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{directory}/{path.name}"
    finally:
        os.close(directory)


# ---- server (in the moto process) ---------------------------------------------------------

# (target, body) -> (HTTP status, body): moto_server.StatefulApp.direct
Handler = Callable[[str, bytes], tuple[int, bytes]]


def moto_dynamodb_handler(region: str, access_key_id: str) -> Handler:
    """moto's DynamoDB and DynamoDB Streams handlers called as its HTTP server would, minus the
    HTTP: the stack's region, and the account localAdmin's key maps to (the one its HTTP
    requests reach)."""
    from botocore.awsrequest import AWSPreparedRequest, HTTPHeaders
    from moto.core.utils import normalize_request
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    authorization = (f"AWS4-HMAC-SHA256 Credential={access_key_id}/20260101/{region}/dynamodb/aws4_request, "
                     "SignedHeaders=host, Signature=0")
    handlers = {TARGET_PREFIXES["dynamodb"]: (DynamoHandler, f"https://dynamodb.{region}.amazonaws.com/"),
                TARGET_PREFIXES["dynamodbstreams"]: (DynamoDBStreamsHandler,
                                                     f"https://streams.dynamodb.{region}.amazonaws.com/")}

    def handle(target: str, body: bytes) -> tuple[int, bytes]:
        handler, url = handlers[target[:target.index(".") + 1]]
        headers = HTTPHeaders()
        headers["X-Amz-Target"] = target
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["Authorization"] = authorization
        request = AWSPreparedRequest(method="POST", url=url, headers=headers, body=body, stream_output=False)
        status, _headers, answer = handler.dispatch(normalize_request(request), url, headers)
        return int(status), answer.encode() if isinstance(answer, str) else bytes(answer)

    return handle


class DirectServer:
    """Accepts connections on `path`; each connection is served by a thread of its own, one
    frame after another (a client sends its next request only after its answer)."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        self._listener: socket.socket | None = None

    def start(self) -> DirectServer:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a server that died: the name holds our port, so it is ours now
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600: no window in which others could connect
        try:
            with _socket_address(self.path) as address:
                listener.bind(address)
        finally:
            os.umask(old)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, name="direct-dynamodb", daemon=True).start()
        return self

    def _accept(self) -> None:
        while self._listener is not None:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), name="direct-dynamodb-conn",
                             daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            while True:
                try:
                    target_length, frame = _read_frame(connection)
                except (ConnectionError, OSError):
                    return
                target = frame[:target_length].decode("ascii", "replace")
                status, answer = self._answer(target, frame[target_length:])
                try:
                    _send_frame(connection, status, answer)
                except OSError:
                    return

    def _answer(self, target: str, body: bytes) -> tuple[int, bytes]:
        prefix, _, operation = target.partition(".")
        if prefix + "." not in TARGET_PREFIXES.values() or not operation.isalnum():
            return 400, _error_body("UnknownOperationException", f"not a DynamoDB operation: {target[:80]!r}")
        try:
            return self.handler(target, body)
        except Exception as error:  # moto failed: the caller sees DynamoDB's 500, the server goes on
            return 500, _error_body("InternalServerError", f"{type(error).__name__}: {error}")

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def remove_stale_sockets(directory: Path, pattern: str) -> None:
    """Sockets in `directory` that no server listens on any more (a server killed with -9
    cannot remove its own)."""
    for path in directory.glob(pattern):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _socket_address(path) as address:
                probe.connect(address)
        except ConnectionRefusedError:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # not ours to judge (not a socket, no permission): left alone
        finally:
            probe.close()


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()


# ---- client (in the endpoint's process) ---------------------------------------------------

def _wire(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _binary_to_bytes(value: Any) -> Any:
    """As botocore parses them: B and BS attribute values as bytes. Only an AttributeValue has
    the shape {"B": <string>} or {"BS": [<string>...]} in a DynamoDB answer."""
    if isinstance(value, dict):
        if len(value) == 1:
            (kind, inner), = value.items()
            if kind == "B" and isinstance(inner, str):
                return {"B": base64.b64decode(inner)}
            if kind == "BS" and isinstance(inner, list) and all(isinstance(v, str) for v in inner):
                return {"BS": [base64.b64decode(v) for v in inner]}
        return {key: _binary_to_bytes(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_binary_to_bytes(inner) for inner in value]
    return value


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


class DirectDynamoDB:
    """boto3's DynamoDB (or, `service="dynamodbstreams"`, DynamoDB Streams) client as far as
    the local resolvers and stream consumers use it, over `DirectServer`'s socket: one
    connection per calling thread (the resolver runtime's threads, each consumer's thread)."""

    def __init__(self, path: Path, service: str = "dynamodb", timeout: float = 30.0) -> None:
        from botocore.validate import ParamValidator

        self.path = path
        self.service = service
        self._operations = OPERATIONS[service]
        self._prefix = TARGET_PREFIXES[service]
        self.timeout = timeout
        self._local = threading.local()
        self._sockets: list[socket.socket] = []
        self._sockets_lock = threading.Lock()
        self._validator = ParamValidator()

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        operation = self._operations.get(method)
        if operation is None:
            raise AttributeError(method)
        return lambda **params: self.call(operation, params)

    def _connection(self) -> socket.socket:
        connection = getattr(self._local, "socket", None)
        if connection is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            with _socket_address(self.path) as address:
                connection.connect(address)
            self._local.socket = connection
            with self._sockets_lock:
                self._sockets.append(connection)
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "socket", None)
        self._local.socket = None
        if connection is not None:
            connection.close()
            with self._sockets_lock, contextlib.suppress(ValueError):
                self._sockets.remove(connection)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        # boto3 refuses a malformed request before sending it (ParamValidationError); so does this
        model = _service_model(self.service).operation_model(operation)
        report = self._validator.validate(params, model.input_shape)
        if report.has_errors():
            from botocore.exceptions import ParamValidationError

            raise ParamValidationError(report=report.generate_report())
        body = json.dumps(params, default=_wire, separators=(",", ":")).encode()
        target = (self._prefix + operation).encode()
        try:
            connection = self._connection()
            _send_frame(connection, len(target), target + body)
            status, answer = _read_frame(connection)
        except (OSError, ConnectionError) as error:
            self._drop_connection()  # the next call connects afresh
            raise ClientError({"Error": {"Code": "InternalServerError",
                                         "Message": f"the local database did not answer: {error}"}},
                              operation) from None
        parsed = _binary_to_bytes(json.loads(answer)) if answer else {}
        if status == 200:
            return parsed
        error_type = str(parsed.pop("__type", "InternalServerError"))
        message = parsed.pop("message", None) or parsed.pop("Message", None) or ""
        # as botocore's JSON parser puts them: the code after '#', modeled fields beside Error
        raise ClientError({"Error": {"Code": error_type.rpartition("#")[2], "Message": message},
                           "ResponseMetadata": {"HTTPStatusCode": status}, **parsed}, operation)

    def close(self) -> None:
        with self._sockets_lock:
            sockets, self._sockets = self._sockets, []
        for connection in sockets:
            connection.close()
