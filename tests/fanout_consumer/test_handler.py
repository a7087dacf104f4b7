"""The stream consumer's publishing: rooms concurrently (bounded), each in order, every call
within a deadline that ends before the Lambda's timeout, and one checkpoint per batch."""

import threading
import time

import pytest

from fanout_consumer import handler as handler_module
from fanout_consumer.handler import DEFAULT_CALL_TIMEOUT_SECONDS, DEFAULT_SAFETY_MARGIN_SECONDS, process
from fanout_consumer.publisher import DuplicateBatch, PublishError
from tests.fanout_consumer.test_batching import record


class Recorder:
    """A publish function that records calls, timeouts and how many ran at once."""

    def __init__(self, fail_rooms=(), duplicate_rooms=(), hold_seconds=0.05):
        self.calls: list[tuple[str, str, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.fail_rooms, self.duplicate_rooms, self.hold = set(fail_rooms), set(duplicate_rooms), hold_seconds

    def __call__(self, planned, timeout):
        with self._lock:
            self.calls.append((planned.room_id, planned.first_sequence, timeout))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.hold)  # an HTTP round trip
            if planned.room_id in self.duplicate_rooms:
                raise DuplicateBatch(planned.room_id)
            if planned.room_id in self.fail_rooms:
                raise PublishError("throttled")
        finally:
            with self._lock:
                self.in_flight -= 1


def rooms_records(rooms: int, per_room: int = 1, text: str = "m") -> list[dict]:
    return [record(n, f"r{n % rooms:02d}", text) for n in range(rooms * per_room)]


def test_rooms_are_published_concurrently_but_never_more_than_the_bound():
    publish = Recorder()
    result = process(rooms_records(40), publish, 200_000, concurrency=4)
    assert result == {"batchItemFailures": [], "published": 40, "duplicates": 0}
    assert 1 < publish.max_in_flight <= 4


def test_a_rooms_chunks_go_out_in_stream_order_and_stop_at_its_first_failure():
    big = "x" * 50_000  # four per 200 KB chunk: room r00 needs several publishes
    records = [record(n, "r00", big) for n in range(12)] + [record(100 + n, "r01", "m") for n in range(3)]
    publish = Recorder()
    process(records, publish, 200_000)
    sequences = [sequence for room, sequence, _ in publish.calls if room == "r00"]
    assert len(sequences) >= 3 and sequences == sorted(sequences)

    failing = Recorder(fail_rooms={"r00"})
    result = process(records, failing, 200_000)
    assert [room for room, _, _ in failing.calls].count("r00") == 1  # later chunks wait for the failed one
    assert result["published"] == 1  # r01 went out anyway
    assert result["batchItemFailures"] == [{"itemIdentifier": "1000"}]


def test_the_earliest_failed_record_is_the_checkpoint_and_duplicates_are_counted():
    records = [record(n, f"r{n % 3}", "m") for n in range(9)]  # r0 starts at 1000, r1 at 1001, r2 at 1002
    publish = Recorder(fail_rooms={"r1", "r2"}, duplicate_rooms={"r0"})
    result = process(records, publish, 200_000)
    assert result == {"batchItemFailures": [{"itemIdentifier": "1001"}], "published": 0, "duplicates": 1}


def test_every_call_gets_a_deadline_within_the_per_call_limit_and_the_time_left():
    publish = Recorder(hold_seconds=0)
    process(rooms_records(10), publish, 200_000, time_budget_seconds=1.5, call_timeout_seconds=5)
    assert publish.calls and all(0 < timeout <= 1.5 for _, _, timeout in publish.calls)
    publish = Recorder(hold_seconds=0)
    process(rooms_records(10), publish, 200_000, time_budget_seconds=60, call_timeout_seconds=5)
    assert all(timeout == 5 for _, _, timeout in publish.calls)


def test_a_slow_room_times_out_alone_and_is_retried_from_its_first_record():
    def publish(planned, timeout):
        if planned.room_id == "r03":
            time.sleep(timeout)  # a call that hangs until its deadline
            raise PublishError("timed out")

    result = process(rooms_records(8), publish, 200_000, time_budget_seconds=2, call_timeout_seconds=0.6)
    assert result["published"] == 7
    assert result["batchItemFailures"] == [{"itemIdentifier": "1003"}]


def test_nothing_is_started_without_time_left_and_everything_is_retried():
    publish = Recorder()
    result = process(rooms_records(5), publish, 200_000, time_budget_seconds=0)
    assert publish.calls == [] and result["batchItemFailures"] == [{"itemIdentifier": "1000"}]


def test_the_lambda_handler_budgets_from_the_invocations_remaining_time(monkeypatch):
    seen = []

    class FakePublisher:
        def __init__(self, *args, **kwargs):
            pass

        def publish(self, planned, timeout):
            seen.append(timeout)

    class Context:
        def get_remaining_time_in_millis(self):
            return 3_000

    monkeypatch.setattr(handler_module, "AppSyncPublisher", FakePublisher)
    monkeypatch.setenv("GRAPHQL_URL", "https://example.invalid/graphql")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert handler_module.handler({"Records": rooms_records(3)}, Context()) == {"batchItemFailures": []}
    assert len(seen) == 3 and all(t <= 3.0 - DEFAULT_SAFETY_MARGIN_SECONDS for t in seen)


@pytest.mark.parametrize("stack", ["finals-250k"])
def test_a_publish_and_the_safety_margin_fit_the_deployed_functions_timeout(stack):
    from tests.conftest import run_stack

    (function,) = [f for f in run_stack(stack).of_type("aws:lambda/function:Function")
                   if f.name.startswith("chat-fanout")]
    assert DEFAULT_CALL_TIMEOUT_SECONDS + DEFAULT_SAFETY_MARGIN_SECONDS < function.inputs["timeout"]
