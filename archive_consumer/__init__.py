"""The chat's archive: every chat event from the table's stream, as JSON lines partitioned by
event/date/hour (what Athena's JSON SerDe and DuckDB's read_json read directly)."""
