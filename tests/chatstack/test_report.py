"""The archive and `chatstack report` for a scripted local session: two rooms, replies, a delete,
a ban and an unban, a settings change. The archive's records count exactly what happened and the
report's JSON equals the session (report.html in Chromium: tests/web/test_report_html.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chatstack.cli import main
from chatstack.local.parts import ARCHIVE_DIR
from chatstack.local.session import BackgroundLoop, sign_up_and_in
from chatstack.local.stack import LocalStack
from tests.project import REPO_ROOT

SEND = "mutation S($r: ID!, $m: String!) { sendMessage(roomId: $r, message: $m) { messageId sender } }"
REPLY = ("mutation R($r: ID!, $id: ID!, $m: String!) { replyToMessage(roomId: $r, messageId: $id, message: $m) "
         "{ replyId } }")
DELETE = "mutation D($r: ID!, $id: ID!) { deleteMessage(roomId: $r, messageId: $id) { messageId } }"
BAN = ("mutation B($r: ID!, $u: String!) { banUser(roomId: $r, userId: $u, durationSeconds: 600, reason: \"spam\") "
       "{ userId } }")
UNBAN = "mutation U($r: ID!, $u: String!) { unbanUser(roomId: $r, userId: $u) { userId } }"
SETTINGS = "mutation T($r: ID!) { updateRoomSettings(roomId: $r, slowModeSeconds: 0) { roomId } }"


@pytest.fixture(scope="module")
def session(tmp_path_factory, monkeypatch_module):
    import urllib.request

    state = tmp_path_factory.mktemp("report-stack")
    loop = BackgroundLoop("report")
    local = LocalStack("dev", root=REPO_ROOT, state_dir=state)
    outputs = loop.run(local.start())
    try:
        tokens = {name: sign_up_and_in(outputs, name, groups)["id"]
                  for name, groups in (("ann", ()), ("bob", ()), ("mia", ("moderators",)))}

        def call(user: str, query: str, **variables) -> dict:
            body = json.dumps({"query": query, "variables": variables}).encode()
            request = urllib.request.Request(outputs["graphqlUrl"], data=body, method="POST", headers={
                "Authorization": tokens[user], "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                result = json.loads(response.read())
            assert "errors" not in result, result
            return result["data"]

        sent = [call("ann", SEND, r="keynote", m=f"keynote {i}")["sendMessage"] for i in range(5)]
        sent += [call("bob", SEND, r="q-and-a", m=f"question {i}")["sendMessage"] for i in range(3)]
        call("bob", REPLY, r="keynote", id=sent[0]["messageId"], m="agreed")
        call("ann", REPLY, r="keynote", id=sent[0]["messageId"], m="thanks")
        call("ann", REPLY, r="q-and-a", id=sent[5]["messageId"], m="good one")
        call("mia", DELETE, r="keynote", id=sent[4]["messageId"])
        call("mia", BAN, r="q-and-a", u=sent[5]["sender"])
        call("mia", UNBAN, r="q-and-a", u=sent[5]["sender"])
        call("mia", SETTINGS, r="keynote")
    finally:
        loop.run(local.stop())  # the archiver's last poll: everything written is archived
        loop.close()
    return state / ARCHIVE_DIR


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "local")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        yield patch


def archived(archive: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(archive.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def test_the_archive_records_every_chat_event_once_partitioned_by_event_date_and_hour(session):
    records = archived(session)
    kinds = [r["type"] for r in records]
    assert {k: kinds.count(k) for k in set(kinds)} == {"message": 8, "reply": 3, "deletion": 1, "ban": 1,
                                                       "unban": 1, "settings": 1}
    assert len({r["key"] for r in records}) == len(records)
    deleted = next(r for r in records if r["type"] == "deletion")
    assert deleted["target"] and deleted["actor"]  # who removed which message, for audit
    for path in session.rglob("*.jsonl"):
        parts = path.relative_to(session).parts
        assert parts[0] == "event=dev" and parts[1].startswith("date=") and parts[2].startswith("hour=")


def test_the_report_equals_the_session(session, tmp_path, capsys):
    shutil.copytree(session, tmp_path / "archive")
    # at-least-once delivery: the same records again must not count twice
    first = next((tmp_path / "archive").rglob("*.jsonl"))
    first.write_text(first.read_text() + first.read_text().splitlines(keepends=True)[0])
    out = tmp_path / "report"
    assert main(["-C", str(REPO_ROOT), "report", "--stack", "dev", "--archive", str(tmp_path / "archive"),
                 "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["messages"], report["replies"], report["deleted"]) == (8, 3, 1)
    assert report["distinctSenders"] == 2 and report["moderationActions"] == 4
    assert report["rooms"][0] == {"roomId": "keynote", "messages": 5, "replies": 2, "senders": 2}
    assert {r["roomId"]: r["messages"] for r in report["rooms"]} == {"keynote": 5, "q-and-a": 3}
    assert report["topThreads"][0]["replies"] == 2
    assert sum(m["messages"] for m in report["perMinute"]) == 8 and report["peakMessagesPerMinute"] >= 3
    assert report["plannedPeakMessagesPerMinute"] == 120  # Pulumi.dev.yaml: 2 msg/s
    assert [m["type"] for m in report["moderation"]] == ["deletion", "ban", "unban", "settings"]
    assert "8 messages, 3 replies, 1 deleted" in capsys.readouterr().out
    assert (out / "report.html").stat().st_size > 1_000_000  # Plotly's JavaScript inline: no network needed



def test_no_archive_is_a_clear_error(tmp_path, capsys):
    assert main(["-C", str(REPO_ROOT), "report", "--stack", "dev", "--archive", str(tmp_path), "--out",
                 str(tmp_path / "out")]) == 2
    assert "no archive files" in capsys.readouterr().err


def test_export_from_the_archive_matches_the_session(session, capsys):
    assert main(["-C", str(REPO_ROOT), "export", "--stack", "dev", "--archive", str(session), "--room", "keynote"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["kind"] for r in rows].count("message") == 5 and [r["kind"] for r in rows].count("reply") == 2
    deleted = [r for r in rows if r["deletedAt"]]
    assert len(deleted) == 1 and deleted[0]["message"] is None and deleted[0]["deletedBy"]
