"""HTTP and Lambda data sources as AppSync shapes them: a real HTTP server on loopback, SigV4
signing checked by the verifier the endpoint uses, and Python callables as Lambdas."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from appsync_local.datasources import DataSourceError
from appsync_local.remote_sources import HttpDataSource, LambdaDataSource, UnavailableDataSource
from appsync_local.sigv4 import IamPrincipal, SigV4Verifier, request_signer

PRINCIPAL = IamPrincipal("AKIATESTEVENTS", "secret-key", "123456789012", "arn:aws:iam::123456789012:role/events")


@pytest.fixture
def server():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            seen.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
            status = 404 if self.path.startswith("/missing") else 200
            reply = json.dumps({"echo": json.loads(body or b"null")}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()


def test_http_result_is_status_headers_body_for_any_status(server):
    origin, seen = server
    source = HttpDataSource(origin)
    ok = source.invoke({"method": "POST", "resourcePath": "/graphql", "params": {
        "query": {"a": "1"}, "headers": {"content-type": "application/json"}, "body": '{"x": 1}'}})
    assert ok["statusCode"] == 200 and json.loads(ok["body"]) == {"echo": {"x": 1}}
    assert seen[0]["path"] == "/graphql?a=1"
    missing = source.invoke({"method": "POST", "resourcePath": "/missing", "params": {"body": "{}"}})
    assert missing["statusCode"] == 404  # a result, not ctx.error


def test_http_signed_requests_pass_the_endpoints_sigv4_verifier(server):
    origin, seen = server
    source = HttpDataSource(origin, sign=request_signer(PRINCIPAL, "us-east-1"))
    body = '{"query": "mutation { publishRoomEvent }"}'
    source.invoke({"method": "POST", "resourcePath": "/graphql",
                   "params": {"headers": {"content-type": "application/json"}, "body": body}})
    headers = seen[0]["headers"]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIATESTEVENTS/")
    verifier = SigV4Verifier([PRINCIPAL], "us-east-1")
    assert verifier.verify("POST", f"{origin}/graphql", headers, body.encode()) == PRINCIPAL


def test_http_connection_failure_and_bad_requests_are_errors():
    with pytest.raises(DataSourceError) as failed:
        HttpDataSource("http://127.0.0.1:9", timeout_seconds=2).invoke({"method": "GET", "resourcePath": "/"})
    assert failed.value.error_type == "HTTP:RequestFailed"
    with pytest.raises(DataSourceError, match="method and resourcePath"):
        HttpDataSource("http://127.0.0.1:9").invoke({"resourcePath": "/"})


def test_lambda_gets_the_payload_and_its_result_comes_back_as_json():
    events = []

    def handler(event):
        events.append(event)
        return {"result": "ALLOW", "message": event["message"].upper()}

    result = LambdaDataSource(handler).invoke({"operation": "Invoke", "payload": {"message": "hi"}})
    assert events == [{"message": "hi"}] and result == {"result": "ALLOW", "message": "HI"}


def test_lambda_errors_and_timeouts_are_ctx_errors():
    def broken(event):
        raise RuntimeError("no")

    def slow(event):
        time.sleep(0.5)
        return {"result": "ALLOW"}

    with pytest.raises(DataSourceError) as raised:
        LambdaDataSource(broken).invoke({"operation": "Invoke", "payload": {}})
    assert raised.value.error_type == "Lambda:Unhandled" and "RuntimeError: no" in raised.value.message
    started = time.perf_counter()
    with pytest.raises(DataSourceError) as timed_out:
        LambdaDataSource(slow, timeout_seconds=0.05).invoke({"operation": "Invoke", "payload": {}})
    assert timed_out.value.error_type == "Lambda:Timeout"
    assert time.perf_counter() - started < 0.4  # the caller waited the budget, not the function
    with pytest.raises(DataSourceError, match="Invoke or BatchInvoke"):
        LambdaDataSource(slow).invoke({"payload": {}})


def test_a_data_source_without_a_stand_in_fails_when_invoked():
    with pytest.raises(DataSourceError) as raised:
        UnavailableDataSource("messageReview", "AWS_LAMBDA").invoke({"operation": "Invoke"})
    assert raised.value.error_type == "DataSourceUnavailable" and "messageReview" in raised.value.message
