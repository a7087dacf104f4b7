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


def test_a_failed_save_refuses_changes_until_a_save_succeeds(tmp_path, monkeypatch):
    """Disk full: what cannot be kept is not acknowledged (reads go on); once a save works
    again, so do changes. (The same with a real full file system: test_state.py.)"""
    import errno
    import json

    import pytest

    from chatstack.local import moto_server

    monkeypatch.setattr(moto_server, "dump_state", lambda: b"state")
    app = StatefulApp(_app, tmp_path / "state.pickle", snapshot_seconds=1.0, seal_key=b"k")
    answers = []

    def call(target: str) -> dict:
        body = app({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": target}, lambda status, _h: answers.append(status))
        return json.loads(b"".join(body))

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    call("DynamoDB_20120810.PutItem")
    monkeypatch.setattr(moto_server, "write_atomically", full)
    with pytest.raises(OSError):
        app.snapshot()
    refused = call("DynamoDB_20120810.PutItem")
    assert answers[-1].startswith("500")
    assert refused["__type"].endswith("#InternalServerError")
    assert "No space left on device" in refused["message"] and "Nothing was changed" in refused["message"]
    assert call("AWSCognitoIdentityProviderService.SignUp")["__type"] == "InternalErrorException"
    assert call("DynamoDB_20120810.Query") == {} and answers[-1].startswith("200")
    assert app.changes == 1  # the refused calls never reached moto
    monkeypatch.undo()
    monkeypatch.setattr(moto_server, "dump_state", lambda: b"state")
    app.snapshot()
    assert call("DynamoDB_20120810.PutItem") == {} and answers[-1].startswith("200")
    assert (tmp_path / "state.pickle").stat().st_mode & 0o777 == 0o600
