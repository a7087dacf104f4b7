"""`chatstack report`: what happened at an event, from its archive (archive_consumer.records).

DuckDB reads the archive's JSON lines where they are (a local folder, or objects fetched from
`s3://bucket/prefix` with the caller's credentials), deduplicates on `key` (delivery is at least
once), and answers the counts; Plotly draws the charts into one self-contained HTML file (its
JavaScript inline, so the report opens with no network).
"""

from __future__ import annotations

import html
import json
import tempfile
from pathlib import Path
from typing import Any

ARCHIVE_GLOB = "**/*.jsonl"
TOP = 10


class ReportError(RuntimeError):
    """No report can be made (the message says why and what to do)."""


def fetch_s3(url: str, into: Path) -> Path:
    """The archive objects under s3://bucket/prefix, downloaded (the caller's AWS credentials)."""
    import boto3

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".jsonl"):
                target = into / item["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(target))
    return into


def _query(connection: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def summarise(archive: Path, planned_messages_per_second: float | None = None) -> dict[str, Any]:
    """report.json's content for the archive under `archive`."""
    import duckdb

    files = sorted(str(p) for p in archive.glob(ARCHIVE_GLOB))
    if not files:
        raise ReportError(f"no archive files under {archive} (chat in the stack first; the local stack "
                          "writes .chatstack/<stack>/archive/ as it runs)")
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE raw AS SELECT * FROM read_json(?, format='newline_delimited', union_by_name=true, "
        "columns={'key':'VARCHAR', 'event':'VARCHAR', 'type':'VARCHAR', 'roomId':'VARCHAR', 'at':'VARCHAR', "
        "'messageId':'VARCHAR', 'replyId':'VARCHAR', 'sender':'VARCHAR', 'actor':'VARCHAR', 'target':'VARCHAR', "
        "'reason':'VARCHAR'})", [files])
    connection.execute("CREATE TABLE events AS SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER "
                       "(PARTITION BY key ORDER BY \"at\") AS rn FROM raw) WHERE rn = 1")
    connection.execute("CREATE TABLE chat AS SELECT *, date_trunc('minute', CAST(\"at\" AS TIMESTAMP)) AS minute "
                       "FROM events WHERE type IN ('message', 'reply')")
    count = {row["type"]: row["n"]
             for row in _query(connection, "SELECT type, count(*) AS n FROM events GROUP BY type")}
    per_minute = _query(connection, """
        SELECT strftime(minute, '%Y-%m-%dT%H:%MZ') AS minute,
               count(*) FILTER (WHERE type = 'message') AS messages,
               count(*) FILTER (WHERE type = 'reply') AS replies,
               count(DISTINCT sender) AS senders
        FROM chat GROUP BY minute ORDER BY minute""")
    rooms = _query(connection, """
        SELECT roomId, count(*) FILTER (WHERE type = 'message') AS messages,
               count(*) FILTER (WHERE type = 'reply') AS replies, count(DISTINCT sender) AS senders
        FROM chat GROUP BY roomId ORDER BY messages DESC, roomId""")
    threads = _query(connection, f"""
        SELECT roomId, messageId, count(*) AS replies FROM chat WHERE type = 'reply'
        GROUP BY roomId, messageId ORDER BY replies DESC, messageId LIMIT {TOP}""")
    moderation = _query(connection, """
        SELECT "at", roomId, type, actor, target, reason FROM events
        WHERE type IN ('deletion', 'ban', 'unban', 'settings') ORDER BY "at"
        """)
    senders = _query(connection, "SELECT count(DISTINCT sender) AS n FROM chat")[0]["n"]
    peak = max((row["messages"] for row in per_minute), default=0)
    report = {
        "event": (_query(connection, "SELECT any_value(event) AS e FROM events")[0]["e"]),
        "from": per_minute[0]["minute"] if per_minute else None,
        "to": per_minute[-1]["minute"] if per_minute else None,
        "messages": count.get("message", 0),
        "replies": count.get("reply", 0),
        "deleted": count.get("deletion", 0),
        "distinctSenders": senders,
        "moderationActions": sum(count.get(t, 0) for t in ("deletion", "ban", "unban", "settings")),
        "bans": count.get("ban", 0),
        "unbans": count.get("unban", 0),
        "settingsChanges": count.get("settings", 0),
        "rooms": rooms,
        "topThreads": threads,
        "moderation": moderation,
        "perMinute": per_minute,
        "peakMessagesPerMinute": peak,
        "plannedPeakMessagesPerMinute": (round(planned_messages_per_second * 60)
                                         if planned_messages_per_second else None),
    }
    return report


def _figures(report: dict[str, Any]) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    minutes = [row["minute"] for row in report["perMinute"]]
    per_minute = go.Figure([
        go.Scatter(x=minutes, y=[row["messages"] for row in report["perMinute"]], name="messages",
                   mode="lines+markers"),
        go.Scatter(x=minutes, y=[row["senders"] for row in report["perMinute"]], name="distinct senders",
                   mode="lines+markers"),
    ])
    if report["plannedPeakMessagesPerMinute"]:
        per_minute.add_hline(y=report["plannedPeakMessagesPerMinute"], line_dash="dash",
                             annotation_text="planned peak (chatstack:messagesPerSecond × 60)")
    per_minute.update_layout(title="Messages and distinct senders per minute", yaxis_title="per minute")
    rooms = report["rooms"][:TOP]
    top_rooms = go.Figure([go.Bar(x=[r["roomId"] for r in rooms], y=[r["messages"] for r in rooms], name="messages")])
    top_rooms.update_layout(title="Top rooms by messages")
    threads = report["topThreads"]
    top_threads = go.Figure([go.Bar(x=[f"{t['roomId']} / …{t['messageId'][-6:]}" for t in threads],
                                    y=[t["replies"] for t in threads])])
    top_threads.update_layout(title="Top threads by replies")
    moderation = report["moderation"]
    timeline = go.Figure([go.Scatter(x=[m["at"] for m in moderation], y=[m["type"] for m in moderation],
                                     mode="markers", marker={"size": 12},
                                     text=[f"{m['roomId']}: {m['target'] or ''} {m['reason'] or ''}"
                                           for m in moderation])])
    timeline.update_layout(title="Moderation timeline")
    planned = go.Figure([go.Bar(x=["planned peak", "actual peak"],
                                y=[report["plannedPeakMessagesPerMinute"] or 0, report["peakMessagesPerMinute"]])])
    planned.update_layout(title="Planned vs actual peak (messages per minute)")
    return [("per-minute", per_minute), ("rooms", top_rooms), ("threads", top_threads),
            ("moderation", timeline), ("peak", planned)]


def as_html(report: dict[str, Any]) -> str:
    """One self-contained page: the numbers, then the charts (Plotly's JavaScript inline once)."""
    charts = []
    for index, (name, figure) in enumerate(_figures(report)):
        charts.append(f'<section class="chart" aria-label="{name}">' + figure.to_html(
            full_html=False, include_plotlyjs=index == 0, div_id=f"chart-{name}",
            config={"displaylogo": False, "responsive": True}) + "</section>")
    numbers = [("Messages", report["messages"]), ("Replies", report["replies"]), ("Deleted", report["deleted"]),
               ("Distinct senders", report["distinctSenders"]), ("Moderation actions", report["moderationActions"]),
               ("Peak messages per minute", report["peakMessagesPerMinute"]),
               ("Planned peak per minute", report["plannedPeakMessagesPerMinute"] or "not planned")]
    rows = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in numbers)
    title = f"Event report: {html.escape(str(report['event']))}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem;max-width:72rem}}table{{border-collapse:collapse}}
th,td{{text-align:left;padding:.25rem .75rem;border-bottom:1px solid #ddd}}.chart{{margin:1.5rem 0}}</style>
</head><body><main>
<h1>{title}</h1>
<p>{html.escape(str(report['from']))} to {html.escape(str(report['to']))} (UTC), from the chat's archive.</p>
<table aria-label="Summary">{rows}</table>
{''.join(charts)}
</main></body></html>
"""


def write_report(archive: str, out: Path, planned_messages_per_second: float | None = None) -> dict[str, Any]:
    """report.json and report.html in `out`; `archive` is a folder or s3://bucket/prefix."""
    if archive.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="chatstack-archive-") as folder:
            report = summarise(fetch_s3(archive, Path(folder)), planned_messages_per_second)
    else:
        report = summarise(Path(archive), planned_messages_per_second)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (out / "report.html").write_text(as_html(report), encoding="utf-8")
    return report
