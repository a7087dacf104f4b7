"""The rehearsal scenario: what the master decides once (from the stack's config and its
outputs file) and every worker receives with its first spawn job, so a worker needs nothing
but `--worker --master-host H`."""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from chatstack.config import EventChatConfig
from chatstack.operations import operation
from chatstack.planning.report import stack_config
from chatstack.project import Project

REQUIRED_OUTPUTS = ("graphqlUrl", "realtimeUrl", "region", "userPoolId", "userPoolClientId")
MESSAGE_TAG = "rehearsal"
# What the web client sends and receives (schema/operations.graphql): a rehearsal's deliveries
# are the bytes real attendees get.
SEND_MESSAGE = operation("SendMessage")
ON_SEND_MESSAGE = operation("OnSendMessage")
ON_MESSAGE_BATCH = operation("OnMessageBatch")


class ScenarioError(ValueError):
    """The rehearsal cannot run as asked; the message names the option or config key."""


@dataclass(frozen=True)
class Scenario:
    stack: str
    run_id: str
    graphql_url: str
    realtime_url: str
    region: str
    user_pool_id: str
    user_pool_client_id: str
    cognito_endpoint: str | None  # set for a local stack; None means AWS's Cognito endpoint
    tls_ca_file: str | None
    attendee_auth: str  # cognito | oidc
    oidc_state_dir: str | None  # oidc: the local issuer's key and settings (chatstack.local.oidc)
    fan_out_mode: str  # perMessage | batched | events
    flush_interval_ms: int
    users: int
    spawn_rate: float
    senders: int
    messages_per_second: float
    duration_s: float
    rooms: int
    drain_s: float
    # A local stack's admin credential (outputs' localAdmin): local Cognito's admin actions
    # (AdminConfirmSignUp) accept no other. None for a deployed stack.
    local_admin: dict[str, str] | None = None
    # oidc: tokens the event platform issued, one per line (a deployed stack's rehearsal)
    attendee_tokens_file: str | None = None
    # events stacks: the Event API (outputs eventsUrl, eventsRealtimeUrl)
    events_url: str | None = None
    events_realtime_url: str | None = None

    @property
    def subscription_field(self) -> str:
        """What the rehearsal's statistics name the subscription (events: the room's channel)."""
        return {"batched": "onMessageBatch", "events": "rooms channel"}.get(self.fan_out_mode, "onSendMessage")

    @property
    def subscription_query(self) -> str:
        return ON_MESSAGE_BATCH if self.fan_out_mode == "batched" else ON_SEND_MESSAGE

    def subscription_target(self, room: str) -> tuple[str, dict[str, Any]]:
        """(GraphQL document or, on events stacks, the channel; its variables) for a room."""
        if self.fan_out_mode == "events":
            return f"/rooms/{room}", {}
        return self.subscription_query, {"roomId": room}

    @property
    def seconds_between_sends(self) -> float:
        """Each sender's own interval: together they send messages_per_second."""
        return self.senders / self.messages_per_second

    def room(self, index: int) -> str:
        return f"{MESSAGE_TAG}-{self.run_id}-{index % self.rooms}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls(**json.loads(text))


def encode_message(run_id: str, sender: str, seq: int, sent_at: float) -> str:
    return f"{MESSAGE_TAG} {run_id} {sender} {seq} {sent_at:.6f}"


def decode_message(text: str, run_id: str) -> tuple[str, int, float] | None:
    """(sender, seq, sent_at) of one of this run's messages; None for anything else."""
    parts = text.split(" ")
    if len(parts) != 5 or parts[0] != MESSAGE_TAG or parts[1] != run_id:
        return None
    try:
        return parts[2], int(parts[3]), float(parts[4])
    except ValueError:
        return None


def default_outputs_path(root: Path, stack: str) -> Path:
    """Where `chatstack local` writes a stack's outputs."""
    return Project(root).state_dir / stack / "outputs.json"


def read_outputs(path: Path, stack: str) -> dict[str, Any]:
    how = (f"`chatstack local --stack {stack}` writes it for the local stack; for a deployed stack "
           f"save `pulumi stack output --json --stack {stack}` to a file and pass --outputs FILE")
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"--outputs: {path} does not exist ({how})") from None
    except ValueError as error:
        raise ScenarioError(f"--outputs: {path} is not JSON: {error}") from None
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if outputs.get("fanOutMode") == "events":
        missing += [key for key in ("eventsUrl", "eventsRealtimeUrl") if not outputs.get(key)]
    if missing:
        raise ScenarioError(f"--outputs: {path} lacks {', '.join(missing)} ({how})")
    return outputs


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioError(message)


def build_scenario(stack: str, root: Path, outputs_path: Path | None, *, users: int, spawn_rate: float,
                   senders: int, messages_per_second: float, duration_s: float, rooms: int,
                   drain_s: float | None = None, settings: list[str] | None = None,
                   oidc_state_dir: Path | None = None,
                   attendee_tokens_file: Path | None = None) -> tuple[Scenario, EventChatConfig]:
    """The scenario, and the stack's config (with `key=value` settings, as `chatstack plan
    --config` takes them: they must match what the served stack was started with)."""
    _check(users >= 1, "--users must be at least 1")
    _check(spawn_rate > 0, "--spawn-rate must be positive")
    _check(1 <= senders <= users, f"--senders must be between 1 and --users ({users}); senders are attendees too")
    _check(messages_per_second > 0, "--messages-per-second must be positive")
    _check(duration_s > 0, "--duration must be positive")
    _check(1 <= rooms <= users, f"--rooms must be between 1 and --users ({users})")
    config = stack_config(stack, settings, root)
    attendee_auth = config.attendee_auth
    if attendee_auth == "cognito":
        _check(config.allow_password_auth,
               f"stack {stack}: simulated attendees sign in with USER_PASSWORD_AUTH, which the stack's app client "
               "does not allow; set chatstack:allowPasswordAuth: true for the rehearsal (or rehearse with "
               "chatstack:attendeeAuth: oidc)")
    outputs = read_outputs(outputs_path or default_outputs_path(root, stack), stack)
    if attendee_tokens_file is not None:
        _check(attendee_auth == "oidc", f"stack {stack}: --attendee-tokens is for chatstack:attendeeAuth oidc stacks "
                                        "(Cognito attendees sign up and in themselves)")
        count = len(read_attendee_tokens(attendee_tokens_file))
        _check(count >= users, f"--attendee-tokens: {attendee_tokens_file} holds {count} tokens; the rehearsal needs "
                               f"one per attendee (--users {users})")
    elif attendee_auth == "oidc":
        oidc_state_dir = _local_issuer_state(stack, outputs, oidc_state_dir or Project(root).state_dir / stack)
    if drain_s is None:
        # Long enough for a batched room's last flush to be published and delivered.
        drain_s = 5.0 + (2 * config.flush_interval_ms / 1000 if config.fan_out_mode != "perMessage" else 0.0)
    scenario = Scenario(
        stack=stack, run_id=secrets.token_hex(4),
        graphql_url=outputs["graphqlUrl"], realtime_url=outputs["realtimeUrl"], region=outputs["region"],
        events_url=outputs.get("eventsUrl"), events_realtime_url=outputs.get("eventsRealtimeUrl"),
        user_pool_id=outputs["userPoolId"], user_pool_client_id=outputs["userPoolClientId"],
        cognito_endpoint=outputs.get("cognitoEndpoint"), tls_ca_file=outputs.get("tlsCaFile"),
        attendee_auth=attendee_auth,
        oidc_state_dir=str(oidc_state_dir) if attendee_auth == "oidc" and attendee_tokens_file is None else None,
        attendee_tokens_file=str(attendee_tokens_file) if attendee_tokens_file is not None else None,
        fan_out_mode=config.fan_out_mode, flush_interval_ms=config.flush_interval_ms,
        users=users, spawn_rate=spawn_rate, senders=senders, messages_per_second=messages_per_second,
        duration_s=duration_s, rooms=rooms, drain_s=drain_s, local_admin=outputs.get("localAdmin"),
    )
    return scenario, config


def read_attendee_tokens(path: Path) -> list[str]:
    """One token per non-empty line; a missing file or a line that is not a JWT is a ScenarioError."""
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as error:
        raise ScenarioError(f"--attendee-tokens: cannot read {path}: {error.strerror}") from None
    for number, line in enumerate(lines, 1):
        if line.count(".") != 2:
            raise ScenarioError(f"--attendee-tokens: {path} line {number} is not a JWT (header.payload.signature)")
    return lines


def _local_issuer_state(stack: str, outputs: dict[str, Any], state_dir: Path) -> Path:
    """OIDC stacks: attendee tokens are minted with the local issuer's key, as `chatstack
    attendee-token` does. A deployed stack's attendees get theirs from the event platform,
    which the rehearsal cannot sign for."""
    from chatstack.local.oidc import SETTINGS_FILE

    issuer = outputs.get("oidcIssuer")
    _check(bool(issuer), f"stack {stack}: chatstack:attendeeAuth is oidc and the outputs name no local oidcIssuer: "
                         "the rehearsal mints attendee tokens only for the issuer `chatstack local` serves (a deployed "
                         "stack's tokens come from the event platform at chatstack:oidcIssuer)")
    try:
        settings = json.loads((state_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise ScenarioError(f"--oidc-state-dir: no local OIDC issuer state in {state_dir} (where `chatstack local "
                            f"--stack {stack} --config attendeeAuth=oidc` keeps its key)") from None
    _check(settings.get("issuer") == issuer,
           f"--oidc-state-dir: {state_dir} holds the issuer {settings.get('issuer')}, the outputs name {issuer}")
    return state_dir


def plan_comparison(config: EventChatConfig, scenario: Scenario, measured_updates_per_s: float | None,
                    users: int) -> dict[str, Any]:
    """What `chatstack plan` expects for this rehearsal's scale next to what was measured.

    The planner models one room; a rehearsal with R rooms is R such events, each with
    users/R participants and messages_per_second/R messages/s.
    """
    from chatstack.planning.planner import apply_price_overrides, apply_quota_overrides, inputs_from_config, plan_event

    quotas, prices = apply_quota_overrides(config.quota_overrides), apply_price_overrides(config.price_overrides)
    stack_plan = plan_event(inputs_from_config(config), quotas=quotas, prices=prices, compare_modes=False)
    # The rehearsal sends messages, not thread replies.
    per_room = replace(inputs_from_config(config), participants=max(1, math.ceil(users / scenario.rooms)),
                       messages_per_second=scenario.messages_per_second / scenario.rooms, replies_per_second=0)
    room_plan = plan_event(per_room, quotas=quotas, prices=prices, compare_modes=False)
    expected = room_plan.outbound_updates_per_second * scenario.rooms
    return {
        "participants": users,
        "messagesPerSecond": scenario.messages_per_second,
        "rooms": scenario.rooms,
        "expectedOutboundUpdatesPerSecond": round(expected, 2),
        "measuredOutboundUpdatesPerSecond": (None if measured_updates_per_s is None
                                             else round(measured_updates_per_s, 2)),
        "measuredToExpected": (round(measured_updates_per_s / expected, 3)
                               if measured_updates_per_s is not None and expected else None),
        "stackPlan": {
            "participants": config.participants,
            "messagesPerSecond": config.messages_per_second,
            "outboundUpdatesPerSecond": stack_plan.outbound_updates_per_second,
            "meteredOutboundPerSecond": stack_plan.metered_outbound_per_second,
            "connectionRampSeconds": stack_plan.connection_ramp_seconds,
        },
    }
