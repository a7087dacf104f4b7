"""The local stack's moto server: which requests make a snapshot due (the round trip itself,
kill -9 included, is tests/chatstack/local/test_state.py)."""

from __future__ import annotations

from chatstack.local.moto_server import StatefulApp


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


def test_reads_do_not_make_a_snapshot_due_but_writes_do(tmp_path):
    app = StatefulApp(_app, tmp_path / "state.pickle", snapshot_seconds=1.0)

    def call(target: str) -> None:
        app({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": target}, lambda *_: None)

    for target in ("DynamoDB_20120810.Query", "DynamoDB_20120810.GetItem", "DynamoDBStreams_20120810.GetRecords",
                   "AWSCognitoIdentityProviderService.ListUsers"):
        call(target)
    assert app.changes == 0
    for target in ("DynamoDB_20120810.PutItem", "DynamoDB_20120810.TransactWriteItems",
                   "AWSCognitoIdentityProviderService.SignUp"):
        call(target)
    assert app.changes == 3
