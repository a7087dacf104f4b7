"""The rehearsal's accounting: what counts as delivered, lost, duplicated, out of order."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from chatstack.loadtest.tally import WorkerTally, expected_and_delivered, message_key, percentile, summarize


def _tally_with_audience(rooms: dict[str, int]) -> tuple[WorkerTally, dict[str, list]]:
    tally = WorkerTally()
    ledgers = {room: [tally.subscription(room, at=1.0, gate_open=False) for _ in range(n)] for room, n in rooms.items()}
    return tally, ledgers


def test_every_audience_subscription_getting_every_message_is_complete():
    tally, ledgers = _tally_with_audience({"a": 2, "b": 1})
    for seq in range(3):
        tally.sent_ok(message_key("s1", seq), "a", at=2.0 + seq)
    tally.sent_ok(message_key("s2", 0), "b", at=2.0)
    for ledger in ledgers["a"]:
        for seq in range(3):
            assert tally.delivery(ledger, "s1", seq, "a", latency_ms=10 + seq)
    assert tally.delivery(ledgers["b"][0], "s2", 0, "b", latency_ms=40)
    summary = summarize([tally.final()])
    assert (summary["expected"], summary["delivered"], summary["lost"]) == (7, 7, 0)
    assert summary["duplicated"] == summary["outOfOrder"] == summary["unconfirmed"] == 0
    assert summary["latencyMs"]["p50"] == 11 and summary["latencyMs"]["max"] == 40
    assert summary["latencyMs"]["samples"] == 7


def test_missing_repeated_reordered_and_misrouted_deliveries_are_each_counted():
    tally, ledgers = _tally_with_audience({"a": 2})
    for seq in range(3):
        tally.sent_ok(message_key("s", seq), "a", at=2.0)
    first, second = ledgers["a"]
    tally.delivery(first, "s", 0, "a", 5)
    tally.delivery(first, "s", 2, "a", 5)
    tally.delivery(first, "s", 1, "a", 5)  # after 2: out of order, still delivered
    tally.delivery(first, "s", 1, "a", 5)  # again: duplicate, not delivered twice
    tally.delivery(second, "s", 0, "b", 5)  # another room's message on this subscription
    summary = summarize([tally.final()])
    assert summary["expected"] == 6
    assert summary["delivered"] == 3
    assert summary["lost"] == 3  # second got nothing of its room
    assert (summary["duplicated"], summary["outOfOrder"], summary["wrongRoom"]) == (1, 1, 1)


def test_late_subscribers_are_owed_nothing_and_unconfirmed_messages_are_not_expected():
    tally, ledgers = _tally_with_audience({"a": 1})
    late = tally.subscription("a", at=9.0, gate_open=True)
    tally.sent_ok(message_key("s", 0), "a", at=10.0)
    assert not tally.delivery(late, "s", 0, "a", 5)
    tally.delivery(ledgers["a"][0], "s", 0, "a", 5)
    tally.delivery(ledgers["a"][0], "s", 1, "a", 5)  # its mutation never reported success
    summary = summarize([tally.final()])
    assert (summary["expected"], summary["delivered"], summary["lost"], summary["unconfirmed"]) == (1, 1, 0, 1)
    assert summary["subscriptions"]["late"] == 1 and summary["subscriptions"]["audience"] == 1


def test_workers_tallies_merge_senders_on_one_and_subscribers_on_another():
    sender_side, ledgers_one = _tally_with_audience({"a": 1})
    receiver_side, ledgers_two = _tally_with_audience({"a": 2})
    for seq in range(4):
        sender_side.sent_ok(message_key("s", seq), "a", at=float(seq))
    for ledger in ledgers_one["a"] + ledgers_two["a"][:1]:
        for seq in range(4):
            (sender_side if ledger in ledgers_one["a"] else receiver_side).delivery(ledger, "s", seq, "a", 3)
    summary = summarize([sender_side.final(), receiver_side.final()])
    assert (summary["expected"], summary["delivered"], summary["lost"]) == (12, 8, 4)
    progress = [sender_side.progress(), receiver_side.progress()]
    assert expected_and_delivered(progress) == (12, 8)


def test_updates_are_metered_per_5_kb_as_aws_counts_them_across_workers():
    small, ledgers_one = _tally_with_audience({"a": 1})
    large, ledgers_two = _tally_with_audience({"a": 1})
    small.update(ledgers_one["a"][0], frame_bytes=700)  # one message: 1 metered message
    large.update(ledgers_two["a"][0], frame_bytes=12_000)  # a batch: 3 (5,000 B each, the last one begun)
    late = large.subscription("a", at=9.0, gate_open=True)
    large.update(late, frame_bytes=50_000)  # not the audience: not counted
    summary = summarize([small.final(), large.final()])
    assert summary["updatesReceived"] == 2 and summary["meteredMessagesPerUpdate"] == 2.0
    assert summarize([WorkerTally().final()])["meteredMessagesPerUpdate"] is None


def test_percentiles_are_nearest_rank():
    histogram = Counter({1: 50, 2: 45, 100: 5})
    assert percentile(histogram, 0.5) == 1
    assert percentile(histogram, 0.95) == 2
    assert percentile(histogram, 0.96) == 100
    assert percentile(Counter(), 0.5) is None


@given(
    audience=st.integers(min_value=1, max_value=6),
    messages=st.integers(min_value=1, max_value=8),
    arrivals=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7)), max_size=80),
)
def test_delivered_plus_lost_is_always_expected(audience, messages, arrivals):
    tally, ledgers = _tally_with_audience({"r": audience})
    for seq in range(messages):
        tally.sent_ok(message_key("s", seq), "r", at=0.0)
    for subscriber, seq in arrivals:
        if subscriber < audience and seq < messages:
            tally.delivery(ledgers["r"][subscriber], "s", seq, "r", 1)
    summary = summarize([tally.final()])
    assert summary["expected"] == audience * messages
    assert summary["delivered"] + summary["lost"] == summary["expected"]
    unique_arrivals = {(s, q) for s, q in arrivals if s < audience and q < messages}
    assert summary["delivered"] == len(unique_arrivals)
    valid = [(s, q) for s, q in arrivals if s < audience and q < messages]
    assert summary["duplicated"] == len(valid) - len(unique_arrivals)
