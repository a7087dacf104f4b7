"""Connect/subscribe retries in the rehearsal: Amplify's schedule, which refusals are final,
and that a retried attempt is counted apart from users that failed (not a loss)."""

from __future__ import annotations

import pytest

from chatstack.loadtest.realtime_client import (
    ConnectionLost,
    RealtimeError,
    SubscribeFailed,
    connect_and_subscribe,
    retry_delay,
    retryable,
)
from chatstack.loadtest.tally import WorkerTally, summarize


def test_the_schedule_is_amplifys_jittered_backoff():
    waits = [retry_delay(n, 0.0) for n in range(8)]
    assert waits[:6] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    assert waits[6:] == [None, None]  # 6.4 s would pass the 5 s ceiling: give up
    assert retry_delay(2, 0.999) == pytest.approx(0.4999)


def test_who_you_are_is_final_and_the_connection_is_not():
    assert not retryable(RealtimeError("UnauthorizedException", "Permission denied"))
    assert not retryable(RealtimeError("BadRequestException", "bad"))
    assert retryable(RealtimeError("LimitExceededError", "too many connections"))
    assert retryable(ConnectionLost("no frame for 10 s"))
    assert retryable(OSError("connection refused"))


class FlakyConnection:
    """Fails `failures` connects, then works."""

    failures = 0
    opened = 0

    def __init__(self, *args, **kwargs) -> None:
        FlakyConnection.opened += 1

    def connect(self) -> None:
        if FlakyConnection.opened <= FlakyConnection.failures:
            raise ConnectionLost("connection closed by the server")

    def subscribe(self, query, variables) -> str:
        return "sub"

    def close(self) -> None:
        pass


def subscribe(tally: WorkerTally, reports: list) -> object:
    def report(stage, started, error, retried):
        reports.append((stage, type(error).__name__ if error else None, retried))
        if retried:
            tally.retry(f"{stage}: {type(error).__name__}")

    return connect_and_subscribe(FlakyConnection, "subscription", {"roomId": "r"}, report, sleep=lambda _: None)


def test_a_retried_connect_is_counted_as_a_retry_not_a_failure():
    FlakyConnection.opened, FlakyConnection.failures = 0, 2
    tally, reports = WorkerTally(), []
    assert isinstance(subscribe(tally, reports), FlakyConnection) and FlakyConnection.opened == 3
    assert reports == [("connect", "ConnectionLost", True), ("connect", "ConnectionLost", True),
                       ("connect", None, False), ("subscribe", None, False)]
    summary = summarize([tally.final()])
    assert summary["subscriptions"]["retried"] == 2 and summary["retries"] == {"connect: ConnectionLost": 2}
    assert summary["errors"] == {}


def test_after_the_last_retry_the_attempt_fails_naming_stage_and_error():
    FlakyConnection.opened, FlakyConnection.failures = 0, 100
    tally, reports = WorkerTally(), []
    with pytest.raises(SubscribeFailed) as failed:
        subscribe(tally, reports)
    assert failed.value.stage == "connect" and isinstance(failed.value.error, ConnectionLost)
    assert FlakyConnection.opened == 7 and tally.retried == 6  # the first try and six retries (0.1 ... 3.2 s)
    assert reports[-1] == ("connect", "ConnectionLost", False)
