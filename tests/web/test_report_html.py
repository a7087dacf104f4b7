"""report.html opens in Chromium with no network: its five charts drawn, no console errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from archive_consumer.records import archive_record, to_lines
from chatstack.report import write_report


def record(key: str, image: dict) -> dict:
    typed = {k: {"S": v} for k, v in image.items()}
    return archive_record({"eventID": key, "eventName": "INSERT", "dynamodb": {"NewImage": typed}}, "finals")


def test_the_report_opens_offline_with_its_charts(browser, tmp_path):
    minutes = [0] * 2 + [1] * 5 + [2] * 9 + [3] * 6 + [4] * 3  # a rise and a fall
    records = [record(str(i), {"type": "MESSAGE", "roomId": f"room-{i % 3}", "messageId": f"m{i}",
                               "sender": f"u{i % 7}", "message": "hi",
                               "createdAt": f"2026-12-05T20:0{minute}:{i:02d}Z"})
               for i, minute in enumerate(minutes)]
    records.append(record("r", {"type": "THREAD", "roomId": "room-0", "messageId": "m0", "replyId": "p",
                                "sender": "u1", "message": "re", "createdAt": "2026-12-05T20:01:30Z"}))
    records.append(record("a", {"type": "AUDIT", "roomId": "room-1", "eventId": "e", "action": "banUser",
                                "actor": "mod", "target": "u2", "details": json.dumps({}),
                                "createdAt": "2026-12-05T20:02:00Z"}))
    archive = tmp_path / "archive" / "event=finals" / "date=2026-12-05" / "hour=20"
    archive.mkdir(parents=True)
    (archive / "part-0.jsonl").write_text(to_lines(records))
    report = write_report(str(tmp_path / "archive"), tmp_path / "out", planned_messages_per_second=0.05)
    assert (report["messages"], report["replies"], report["moderationActions"]) == (25, 1, 1)
    assert report["peakMessagesPerMinute"] == 9

    context = browser.new_context()
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        requested: list[str] = []
        page.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        page.wait_for_selector("#chart-per-minute .main-svg")
        assert page.locator(".plotly-graph-div").count() == 5
        assert page.locator(".main-svg").count() >= 5
        assert page.get_by_role("heading", level=1).inner_text() == "Event report: finals"
        assert [url for url in requested if not url.startswith("file:")] == []  # nothing from the network
        assert problems == [], problems
        if os.environ.get("CHATSTACK_SCREENSHOTS"):  # the docs' picture
            page.set_viewport_size({"width": 1100, "height": 900})
            page.screenshot(path=str(Path(os.environ["CHATSTACK_SCREENSHOTS"]) / "report.png"))
    finally:
        context.close()
