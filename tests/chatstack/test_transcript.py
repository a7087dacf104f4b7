"""`chatstack export`: the transcript of a served stack, messages and replies, deletions marked."""

from __future__ import annotations

import csv
import io
import json

from chatstack.cli import main
from chatstack.local.session import admin_client
from chatstack.transcript import transcript
from tests.scenarios.test_end_to_end import REPLY, SEND, fresh_room, http_client, run
from tests.scenarios.test_moderation_scenario import DELETE
from tests.support import run_async


def test_export_has_every_message_and_reply_and_no_deleted_text(served, tmp_path, capsys):
    room, other = fresh_room("export"), fresh_room("export-other")

    async def chat():
        async with http_client(served, "alice") as alice, http_client(served, "mod") as mod:
            first = (await run(alice, SEND, {"roomId": room, "message": "first, with, commas"}))["sendMessage"]
            await run(alice, REPLY, {"roomId": room, "messageId": first["messageId"], "message": "a reply"})
            gone = (await run(alice, SEND, {"roomId": room, "message": "regrettable"}))["sendMessage"]
            await run(mod, DELETE, {"roomId": room, "messageId": gone["messageId"]})
            await run(alice, SEND, {"roomId": other, "message": "elsewhere"})
            return first, gone

    first, gone = run_async(chat())
    rows = transcript(admin_client(served.outputs, "dynamodb"), served.outputs["tableName"], room)
    assert [(r["kind"], r["message"]) for r in rows] == [
        ("message", "first, with, commas"), ("reply", "a reply"), ("message", None)]
    assert rows[1]["messageId"] == first["messageId"] and rows[2]["deletedAt"] and rows[2]["deletedBy"]
    assert "regrettable" not in json.dumps(rows)

    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(served.outputs))
    assert main(["export", "--stack", "dev", "--outputs", str(outputs), "--room", room, "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["kind"], r["message"]) for r in table] == [("message", "first, with, commas"), ("reply", "a reply"),
                                                          ("message", "")]
    out = tmp_path / "all.jsonl"
    assert main(["export", "--stack", "dev", "--outputs", str(outputs), "--out", str(out)]) == 0
    everything = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["roomId"] for r in everything} >= {room, other}  # every room, one Scan
    assert main(["export", "--stack", "dev", "--outputs", str(tmp_path / "missing.json")]) == 2
