"""The rehearsal's one JSON summary and its text form."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from chatstack.loadtest.scenario import Scenario, plan_comparison
from chatstack.loadtest.tally import summarize

log = logging.getLogger("chatstack.loadtest")


def build_summary(tallies: list[dict[str, Any]], scenario: Scenario, config: Any, target_users: int,
                  workers: int) -> dict[str, Any]:
    figures = summarize(tallies)
    subscriptions = figures.pop("subscriptions")
    messages = figures.pop("messages")
    ramp = subscriptions.pop("rampSeconds")
    send_seconds = messages.pop("sendSeconds")
    # Updates per second over the send phase as configured (the measured span between the
    # first and last send is one interval shorter than the phase itself).
    window = scenario.duration_s
    updates_per_s = figures["updatesReceived"] / window if figures["updatesReceived"] else 0.0
    complete = (figures["expected"] > 0 and figures["lost"] == 0 and figures["duplicated"] == 0
                and figures["outOfOrder"] == 0 and figures["wrongRoom"] == 0)
    everyone_in = (subscriptions["subscribed"] == target_users and subscriptions["failed"] == 0
                   and subscriptions["disconnected"] == 0 and subscriptions["late"] == 0)
    return {
        "stack": scenario.stack,
        "runId": scenario.run_id,
        "graphqlUrl": scenario.graphql_url,
        "fanOutMode": scenario.fan_out_mode,
        "subscription": scenario.subscription_field,
        "workers": len(tallies),
        "workersConnected": workers,
        **figures,
        "users": {"target": target_users, **subscriptions,
                  # still signing in or connecting when the send phase opened (see --ramp-timeout)
                  "pending": max(0, target_users - subscriptions["subscribed"] - subscriptions["failed"])},
        "connectionRamp": {
            "seconds": None if ramp is None else round(ramp, 2),
            "achievedPerSecond": round(subscriptions["subscribed"] / ramp, 2) if ramp else None,
            "spawnRate": scenario.spawn_rate,
        },
        "messages": {
            **messages,
            "senders": scenario.senders,
            "rooms": scenario.rooms,
            "targetPerSecond": scenario.messages_per_second,
            "achievedPerSecond": round(messages["sent"] / window, 2),
            "firstToLastSendSeconds": None if send_seconds is None else round(send_seconds, 2),
        },
        "plan": plan_comparison(config, scenario, updates_per_s, target_users),
        "passed": complete and everyone_in and messages["sendFailed"] == 0 and len(tallies) == workers,
    }


def as_text(summary: dict[str, Any]) -> str:
    latency, users, ramp, plan = summary["latencyMs"], summary["users"], summary["connectionRamp"], summary["plan"]
    messages = summary["messages"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    lines = [
        f"Rehearsal {summary['runId']} of stack {summary['stack']} ({summary['subscription']}, "
        f"{summary['workers']} worker process(es)): {'PASSED' if summary['passed'] else 'FAILED'}",
        f"  deliveries   {summary['delivered']:,} of {summary['expected']:,} expected; lost {summary['lost']:,}, "
        f"duplicated {summary['duplicated']:,}, out of order {summary['outOfOrder']:,}, "
        f"wrong room {summary['wrongRoom']:,}, unconfirmed {summary['unconfirmed']:,}",
        f"  latency ms   p50 {ms(latency['p50'])}, p95 {ms(latency['p95'])}, p99 {ms(latency['p99'])}, "
        f"max {ms(latency['max'])} (mutation sent -> subscriber received, {latency['samples']:,} samples)",
        f"  users        {users['subscribed']:,} of {users['target']:,} subscribed (audience {users['audience']:,}, "
        f"late {users['late']:,}), {users['failed']:,} failed, {users['pending']:,} pending, "
        f"{users['disconnected']:,} disconnected, {users['retried']:,} connect/subscribe attempts retried; "
        f"ramp {ramp['seconds']} s at {ramp['achievedPerSecond']}/s (spawn rate {ramp['spawnRate']})",
        f"  messages     {messages['sent']:,} sent ({messages['achievedPerSecond']}/s of "
        f"{messages['targetPerSecond']}/s), {messages['sendFailed']:,} failed, {messages['senders']} senders, "
        f"{messages['rooms']} room(s)",
        f"  bytes        {summary['bytesPerDeliveredMessage'] or '-'} per delivered message (data frames as sent, "
        f"over first deliveries: what data transfer bills); {summary['meteredMessagesPerUpdate'] or '-'} metered "
        "messages per update (per 5 kB: what the outbound quota counts)",
        f"  vs plan      outbound updates/s expected {plan['expectedOutboundUpdatesPerSecond']:,} at this scale, "
        f"measured {plan['measuredOutboundUpdatesPerSecond']:,} (ratio {plan['measuredToExpected']}); the stack's "
        f"plan: {plan['stackPlan']['outboundUpdatesPerSecond']:,.0f}/s for "
        f"{plan['stackPlan']['participants']:,} participants",
    ]
    if summary["errors"]:
        lines.append("  errors       " + ", ".join(f"{kind} x{n}" for kind, n in summary["errors"].items()))
    if summary["retries"]:  # failed attempts that a retry then passed or not: not losses by themselves
        lines.append("  retried      " + ", ".join(f"{kind} x{n}" for kind, n in summary["retries"].items()))
    return "\n".join(lines)


def write_summary(tallies: list[dict[str, Any]], scenario: Scenario, config: Any, target_users: int, workers: int,
                  path: Path | None) -> dict[str, Any]:
    summary = build_summary(tallies, scenario, config, target_users, workers)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("\n%s%s", as_text(summary), f"\n  summary written to {path}" if path else "")
    return summary
