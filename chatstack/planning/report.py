"""`chatstack plan`: an event stack's capacity and cost plan, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chatstack.config import EventChatConfig, StackConfigError, parse_stack_values
from chatstack.planning.planner import CapacityPlan, QuotaCheck, _check, plan_for_config, realtime_quota_key
from chatstack.planning.quotas import METERED_MESSAGE_BYTES, QUOTAS
from chatstack.project import read_stack_config, stack_names


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_camel_keys(v) for v in value]
    return value


def _increase(check: QuotaCheck) -> dict[str, Any]:
    return {
        "quota": check.key, "name": check.name, "required": check.required, "default": check.default,
        "serviceCode": check.service_code, "quotaCode": check.quota_code, "scope": check.scope,
    }


def as_dict(plan: CapacityPlan, stack: str | None = None) -> dict[str, Any]:
    document = _camel_keys(asdict(plan))
    document.update(
        {
            "stack": stack,
            "quotaIncreases": [_increase(c) for c in plan.quota_increases],
            "impossibleBecause": [{"quota": c.key, "name": c.name, "reason": c.reason} for c in plan.blocking],
        }
    )
    return document


def as_json(plan: CapacityPlan, stack: str | None = None) -> str:
    return json.dumps(as_dict(plan, stack), indent=2, sort_keys=True)


_NAME_WIDTH = 52


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:,.2f}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min ({seconds:,.0f} s)"


def as_text(plan: CapacityPlan, stack: str | None = None) -> str:
    i = plan.inputs
    connection_key = realtime_quota_key(i.fan_out_mode, "newConnectionsPerSecond")
    lines = [
        f"Capacity plan{f' for stack {stack}' if stack else ''}: {plan.verdict.upper()}",
        f"  {i.participants:,} participants, {_num(i.messages_per_second)} messages/s, "
        f"{_num(i.event_duration_hours)} h, {i.average_message_bytes:,} B/message, fan-out {i.fan_out_mode}"
        + (f" (flush every {i.flush_interval_ms} ms)" if i.fan_out_mode != "perMessage" else ""),
        "",
        "Real-time" + (" (Event API)" if i.fan_out_mode == "events" else ""),
        f"  connection ramp at {_num(plan.check(connection_key).default)}"
        "/s: "
        f"{_duration(plan.connection_ramp_seconds)}",
        f"  inbound messages/s:   {_num(plan.inbound_messages_per_second)}",
        f"  outbound updates/s:   {_num(plan.outbound_updates_per_second)}"
        f" (of which replies: {_num(plan.reply_updates_per_second)}; {_num(i.reply_rate)} replies/s)",
        f"  metered outbound/s:   {_num(plan.metered_outbound_per_second)} (AWS meters per "
        f"{METERED_MESSAGE_BYTES:,} B delivered: the largest update counts {plan.metered_messages_per_update}; "
        f"inbound {_num(plan.metered_inbound_per_second)}/s)",
        f"  subscription payload: {plan.subscription_payload_bytes:,} B (largest update)",
        f"  bytes per delivered message: {plan.bytes_per_delivered_message:,.0f} B (measured, frame included)",
        f"  data transfer out:    {plan.data_transfer_out_gb_per_hour:,.0f} GB/h",
        f"  requests/s (peak):    {_num(plan.requests_per_second)}",
        "",
        f"Joining (attendees: {i.attendee_auth}; deadline {_duration(i.join_deadline_seconds)})",
        f"  join ramp at default quotas: {_duration(plan.join_ramp_seconds)}"
        + (" (within the deadline)" if plan.join_ramp_seconds <= i.join_deadline_seconds else
           " PAST THE DEADLINE: needs quota increases or a longer chatstack:joinWindowSeconds"),
        *[f"    {step['step']}: {_duration(step['seconds'])}" for step in plan.join_path],
        f"  recommended attendee auth: {plan.recommended_attendee_auth} ({plan.attendee_auth_recommendation})",
        "",
        "DynamoDB",
        f"  item {plan.item_bytes:,} B: {plan.wru_per_message} WRU per message (transaction with slow-mode state "
        f"+ bySender GSI), {_num(plan.rru_per_message)} RRU per message (ban, settings, slow-mode check)",
        f"  {_num(plan.rru_per_join)} RRU per join ({_num(plan.rru_per_history_query)} history load + ban check "
        "per subscription)",
        f"  writes: {_num(plan.write_units_per_second)} WRU/s, {_num(plan.write_units_per_event)} per event",
        f"  reads:  {_num(plan.read_units_per_second)} RRU/s at peak join, {_num(plan.read_units_per_event)} per event",
    ]
    t = plan.table
    if t.billing_mode == "PAY_PER_REQUEST":
        lines.append(f"  on-demand ceilings: {t.max_write_request_units:,} WRU/s, {t.max_read_request_units:,} RRU/s")
    else:
        lines.append(f"  provisioned autoscaling: writes {t.min_write_capacity}-{t.max_write_capacity}, "
                     f"reads {t.min_read_capacity}-{t.max_read_capacity}")
    lines += ["", "Quotas"]
    marks = {"ok": "ok", "increase": "INCREASE", "impossible": "IMPOSSIBLE"}
    for c in plan.quota_checks:
        needs = _num(c.required)
        lines.append(f"  [{marks[c.status]:>10}] {c.name}: needs {needs}, default {_num(c.default)} "
                     f"{c.unit} ({c.scope})")
        if c.status != "ok":
            lines.append(f"               {c.reason}")
    lines.append(f"  (ok = the peak plus {plan.inputs.quota_headroom:.0%} headroom fits the quota)")
    lines += ["", f"Cost (USD){'per hour':>{_NAME_WIDTH + 5}}{'per event':>15}"]
    for line in plan.costs:
        lines.append(f"  {line.name:<{_NAME_WIDTH}} {line.per_hour_usd:>12,.2f} {line.per_event_usd:>14,.2f}")
    lines.append(f"  {'total':<{_NAME_WIDTH}} {plan.cost_per_hour_usd:>12,.2f} {plan.cost_per_event_usd:>14,.2f}")
    if plan.modes:
        lines += ["", "Fan-out modes side by side (delivery = real-time updates or Event API operations, "
                      "connection-minutes and data transfer;",
                  "  metered = per 5 kB delivered, what the outbound quota and the bill count)",
                  f"  {'mode':<11}{'updates/s':>12}{'metered/s':>12}{'quota headroom':>16}{'B/message':>11}"
                  f"{'delivery $/h':>14}{'total $/h':>12}{'x floor':>9}{'APIs for 2x':>13}"]
        for m in plan.modes:
            lines.append(f"  {m.mode:<11}{m.outbound_per_second:>12,.0f}{m.metered_outbound_per_second:>12,.0f}"
                         f"{m.outbound_headroom:>15,.2f}x"
                         f"{m.bytes_per_delivered_message:>11,.0f}{m.delivery_cost_per_hour_usd:>14,.2f}"
                         f"{m.cost_per_hour_usd:>12,.2f}{m.floor_ratio:>9.2f}{m.apis_for_scale_out_headroom:>13}")
        lines += [f"  floor: ${plan.cost_floor_per_hour_usd:,.2f}/h (the text to every subscriber at the data-transfer "
                  "rate + each subscriber's text of a flush, metered per 5 kB, at $1 per million)",
                  f"  2x outbound headroom for this mode: {_num(plan.outbound_for_scale_out_headroom)} metered "
                  f"messages/s per API (a quota increase), or {plan.apis_for_scale_out_headroom} "
                  f"API{'s' if plan.apis_for_scale_out_headroom > 1 else ''} at the default quota "
                  "with the audience split between them"]
    if plan.flush_options:
        lines += ["", "Flush interval (each subscriber's metered messages are its bytes per flush / 5 kB, rounded up: "
                      "a longer flush saves only the rounding once a flush fills 5 kB)",
                  f"  {'flushIntervalMs':>15}{'flushes every':>15}{'metered/s':>14}{'delivery $/h':>14}  verdict"]
        for f in plan.flush_options:
            mark = "  (this stack)" if f.flush_interval_ms == i.flush_interval_ms else ""
            lines.append(f"  {f.flush_interval_ms:>15,}{f.deployed_flush_interval_ms:>12,} ms"
                         f"{f.metered_outbound_per_second:>14,.0f}{f.delivery_cost_per_hour_usd:>14,.2f}"
                         f"  {f.verdict}{mark}")
    if plan.recommended_fan_out_mode:
        advice = "keep it" if plan.recommended_fan_out_mode == i.fan_out_mode else "switch with chatstack:fanOutMode"
        lines += ["", f"Fan-out: recommended {plan.recommended_fan_out_mode} ({advice})",
                  f"  {plan.recommendation}"]
    lines += ["", "Assumptions"] + [f"  - {a}" for a in plan.assumptions]
    return "\n".join(lines)


def stack_config(stack: str, settings: list[str] | None = None, root: Path | None = None) -> EventChatConfig:
    """A stack's validated config, with `key=value` what-if settings (chatstack: namespace optional)."""
    values = read_stack_config(stack, root)
    for setting in settings or []:
        key, _, value = setting.partition("=")
        values[key if ":" in key else f"chatstack:{key}"] = value
    return parse_stack_values(values)


def plan_stack(stack: str, settings: list[str] | None = None, root: Path | None = None) -> CapacityPlan:
    return plan_for_config(stack_config(stack, settings, root))


# ---------------------------------------------------------------- every stack, and the account's view

# Quotas every stack of an account (and region) draws on at once if their events overlap.
ACCOUNT_QUOTAS = {
    "requestTokensPerSecond": lambda plan: plan.requests_per_second,
    "cognitoUserCreationPerSecond": lambda plan: _required(plan, "cognitoUserCreationPerSecond"),
    "cognitoUserAuthenticationPerSecond": lambda plan: _required(plan, "cognitoUserAuthenticationPerSecond"),
    "cognitoDefaultEmailsPerDay": lambda plan: _required(plan, "cognitoDefaultEmailsPerDay"),
}


def _required(plan: CapacityPlan, key: str) -> float:
    return next((c.required for c in plan.quota_checks if c.key == key), 0.0)


@dataclass(frozen=True)
class StackPlan:
    stack: str
    region: str
    plan: CapacityPlan | None
    error: str | None = None


def plan_all(root: Path | None = None, settings: list[str] | None = None) -> list[StackPlan]:
    """Every stack's plan; a stack whose config is broken is reported as such, the others still plan."""
    rows = []
    for stack in stack_names(root):
        try:
            region = read_stack_config(stack, root).get("aws:region", "?")
            rows.append(StackPlan(stack, region, plan_stack(stack, settings, root)))
        except (StackConfigError, ValueError) as error:
            rows.append(StackPlan(stack, "?", None, str(error)))
    return rows


def account_checks(rows: list[StackPlan]) -> dict[str, list[QuotaCheck]]:
    """Per region: the per-account quotas the stacks' events need if they run at the same time."""
    by_region: dict[str, list[CapacityPlan]] = {}
    for row in rows:
        if row.plan is not None:
            by_region.setdefault(row.region, []).append(row.plan)
    result = {}
    for region, plans in sorted(by_region.items()):
        headroom = max(p.inputs.quota_headroom for p in plans)
        result[region] = [_check(QUOTAS[key], sum(need(p) for p in plans), headroom)
                          for key, need in ACCOUNT_QUOTAS.items()]
    return result


def all_exit_code(rows: list[StackPlan]) -> int:
    """2 if a stack's config is broken, 1 if a plan is impossible, else 0."""
    if any(r.error for r in rows):
        return 2
    return 1 if any(r.plan.verdict == "impossible" for r in rows if r.plan) else 0


def all_as_text(rows: list[StackPlan]) -> str:
    header = (f"{'stack':<22} {'participants':>12} {'msg/s':>7} {'fan-out':<10} {'metered/s':>11} {'B/msg':>6} "
              f"{'GB/h':>8} {'$/hour':>11} {'join ramp':>10} {'deadline':>9}  verdict")
    lines = [header, "-" * len(header)]
    for r in rows:
        if r.plan is None:
            lines.append(f"{r.stack:<22} CONFIG ERROR: {r.error.splitlines()[-1].strip() if r.error else ''}")
            continue
        p, i = r.plan, r.plan.inputs
        lines.append(
            f"{r.stack:<22} {i.participants:>12,} {_num(i.messages_per_second):>7} {i.fan_out_mode:<10} "
            f"{p.metered_outbound_per_second:>11,.0f} {p.bytes_per_delivered_message:>6,.0f} "
            f"{p.data_transfer_out_gb_per_hour:>8,.0f} {p.cost_per_hour_usd:>11,.0f} "
            f"{p.join_ramp_seconds:>9,.0f}s {i.join_deadline_seconds:>8,.0f}s  {p.verdict}")
    for region, checks in account_checks(rows).items():
        lines += ["", f"Account quotas shared by these stacks in {region} (if their events overlap)"]
        marks = {"ok": "ok", "increase": "INCREASE", "impossible": "IMPOSSIBLE"}
        for c in checks:
            lines.append(f"  [{marks[c.status]:>10}] {c.name}: needs {_num(c.required)} together, default "
                         f"{_num(c.default)} {c.unit}")
    return "\n".join(lines)


def all_as_json(rows: list[StackPlan]) -> str:
    return json.dumps({
        "stacks": [{"stack": r.stack, "region": r.region, "error": r.error,
                    "plan": as_dict(r.plan, r.stack) if r.plan else None} for r in rows],
        "account": {region: [_camel_keys(asdict(c)) for c in checks]
                    for region, checks in account_checks(rows).items()},
    }, indent=2, sort_keys=True)
