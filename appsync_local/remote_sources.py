"""Data sources that call out: HTTP (optionally SigV4-signed) and AWS_LAMBDA (a Python
callable stands in for the function), shaped as AppSync documents them.

HTTP: the request handler returns {method, resourcePath, params: {query, headers, body}};
the response handler gets ctx.result = {statusCode, headers, body} for any HTTP status
(a 4xx/5xx is a result, not an error); only a failed connection or a timeout is ctx.error.

AWS_LAMBDA: {operation: "Invoke", payload} hands `payload` to the function as its event;
ctx.result is what it returns. A raised exception is ctx.error (type Lambda:Unhandled);
running past the budget is ctx.error (type Lambda:Timeout), as a Lambda past its timeout.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from appsync_local.datasources import DataSourceError

Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]
"""(method, url, headers, body) -> the headers to send (e.g. with SigV4 added)."""


class HttpDataSource:
    type = "HTTP"

    def __init__(self, endpoint: str, *, sign: Signer | None = None, timeout_seconds: float = 10.0,
                 ssl_context: Any = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.sign = sign
        self.timeout_seconds = timeout_seconds
        self.ssl_context = ssl_context  # e.g. trusting a local CA; None: the system's trust store

    def invoke(self, request: Any) -> Any:
        if not isinstance(request, dict) or not request.get("method") or not request.get("resourcePath"):
            raise DataSourceError("an HTTP request needs method and resourcePath", "HTTP:InvalidRequest")
        params = request.get("params") or {}
        url = self.endpoint + str(request["resourcePath"])
        if params.get("query"):
            url += "?" + urllib.parse.urlencode(params["query"], doseq=True)
        body = params.get("body")
        data = body.encode("utf-8") if isinstance(body, str) else (json.dumps(body).encode() if body else b"")
        headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
        method = str(request["method"]).upper()
        if self.sign is not None:
            headers = self.sign(method, url, headers, data)
        outgoing = urllib.request.Request(url, data=data or None, headers=headers, method=method)
        try:
            with urllib.request.urlopen(outgoing, timeout=self.timeout_seconds, context=self.ssl_context) as response:
                status, reply_headers, raw = response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, raw = error.code, dict(error.headers.items()), error.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DataSourceError(f"HTTP request to {url} failed: {error}", "HTTP:RequestFailed") from None
        return {"statusCode": status, "headers": reply_headers, "body": raw.decode("utf-8", "replace")}


class LambdaDataSource:
    """A Python callable standing in for a Lambda function: handler(event) -> result."""

    type = "AWS_LAMBDA"

    def __init__(self, handler: Callable[[Any], Any], *, timeout_seconds: float = 1.0, workers: int = 4) -> None:
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        # Calls run on their own threads so a slow handler costs its caller only the budget.
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="local-lambda")

    def invoke(self, request: Any) -> Any:
        if not isinstance(request, dict) or request.get("operation") not in ("Invoke", "BatchInvoke"):
            raise DataSourceError("a Lambda request needs operation Invoke or BatchInvoke", "Lambda:InvalidRequest")
        future = self._pool.submit(self.handler, json.loads(json.dumps(request.get("payload"))))
        try:
            result = future.result(timeout=self.timeout_seconds)
        except FutureTimeout:
            message = f"Task timed out after {self.timeout_seconds:.2f} seconds"
            raise DataSourceError(message, "Lambda:Timeout") from None
        except Exception as error:  # the function's own failure, as Lambda reports it
            raise DataSourceError(f"{type(error).__name__}: {error}", "Lambda:Unhandled") from None
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError):
            raise DataSourceError("the function's result is not JSON", "Lambda:Unhandled") from None


class UnavailableDataSource:
    """A data source the local runtime was given no stand-in for: invoking it is an error."""

    def __init__(self, name: str, type_: str) -> None:
        self.name = name
        self.type = type_

    def invoke(self, request: Any) -> Any:
        raise DataSourceError(f"data source {self.name} ({self.type}) has no local stand-in", "DataSourceUnavailable")
