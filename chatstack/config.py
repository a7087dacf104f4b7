"""Per-event stack configuration (`chatstack:*` keys of Pulumi.<event>.yaml).

Parsed by one pydantic model before any resource is registered. The model checks shape,
ranges and feasibility; security posture (e.g. API-key auth in production) is judged by
the policy pack, so a reviewer sees it in one report rather than as a config error.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

NAMESPACE = "chatstack"
# Room ids as the resolvers accept them (resolvers/functions/validateArgs.js).
ROOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# Names reserved for examples and tests, which no event platform can serve (RFC 2606, RFC 6761).
RESERVED_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TOP_LEVEL_DOMAINS = ("test", "example", "invalid", "localhost")


def reserved_example_host(host: str) -> str | None:
    """The reserved name `host` falls under (e.g. 'example.com', '.test', 'localhost'), else None."""
    host = host.lower().rstrip(".")
    for domain in RESERVED_EXAMPLE_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return domain
    top = host.rsplit(".", 1)[-1]
    if top in RESERVED_TOP_LEVEL_DOMAINS:
        return "localhost" if host == "localhost" else f".{top}"
    try:
        return "localhost" if ipaddress.ip_address(host.strip("[]")).is_loopback else None
    except ValueError:
        return None


class StackConfigError(ValueError):
    """A stack config value is missing or invalid; the message names the key."""


class EventChatConfig(BaseModel):
    """Everything an event stack can be told. Field aliases are the config keys."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    environment: Literal["development", "production"] = Field(
        description=(
            "`development` or `production`. Production: deletion protection, Pulumi `protect` + "
            "retain-on-delete for table and user pool, introspection off, verbose log content excluded."
        )
    )
    owner: str = Field(min_length=1, max_length=128, description="Team accountable for the event (`owner` tag).")
    cost_center: str | None = Field(
        default=None, alias="costCenter", min_length=1, max_length=128, description="Cost centre (`cost-center` tag)."
    )
    participants: int = Field(ge=1, le=5_000_000, description="Expected peak concurrent participants (1–5,000,000).")
    messages_per_second: float = Field(
        default=1.0, alias="messagesPerSecond", gt=0, le=100_000,
        description="Peak chat messages per second across the event."
    )
    event_duration_hours: float = Field(
        default=2.0, alias="eventDurationHours", gt=0, le=24 * 14, description="Length of the event (cost per event)."
    )
    average_message_bytes: int = Field(
        default=400, alias="averageMessageBytes", ge=50, le=240 * 1024,
        description="Mean stored message size (capacity and payload math)."
    )
    retention_days: int = Field(
        default=30, alias="retentionDays", ge=0, le=3650,
        description="Days chat rows live (DynamoDB TTL on `expiresAt`); 0 keeps them forever."
    )
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = Field(
        default="PAY_PER_REQUEST", alias="billingMode",
        description="`PROVISIONED` adds read/write target-tracking autoscaling."
    )
    point_in_time_recovery: bool = Field(
        default=True, alias="pointInTimeRecovery", description="DynamoDB PITR (the policy pack requires it)."
    )
    deletion_protection: bool | None = Field(
        default=None, alias="deletionProtection", description="Table and user pool deletion protection."
    )
    default_auth: Literal["AMAZON_COGNITO_USER_POOLS"] = Field(
        default="AMAZON_COGNITO_USER_POOLS", alias="defaultAuth",
        description=(
            "The only value. `API_KEY` is refused as a config error: an API key is a shared secret in every "
            "client, and no type or field carries `@aws_api_key`, so it would lock out both key and Cognito "
            "callers."
        ),
    )
    # Who signs attendees in (staff and moderators are always in the stack's Cognito pool).
    attendee_auth: Literal["cognito", "oidc"] = Field(
        default="cognito", alias="attendeeAuth",
        description=(
            "Who signs attendees in: `cognito` (they sign up in the stack's pool) or `oidc` (the event "
            "platform issues tokens; AppSync verifies them as an additional `OPENID_CONNECT` provider). Staff"
            " and moderators are always in Cognito. See \"Who can sign in\"."
        ),
    )
    oidc_issuer: str | None = Field(
        default=None, alias="oidcIssuer", max_length=2048,
        description=(
            "`oidc`: the event platform's issuer, an https URL (the `iss` of its tokens; AppSync reads "
            "`<issuer>/.well-known/openid-configuration`). Required with `oidc`."
        ),
    )
    oidc_client_id: str | None = Field(
        default=None, alias="oidcClientId", min_length=1, max_length=512,
        description="`oidc`: if set, a token's `aud` must match it (AppSync's client-id check).",
    )
    oidc_auth_ttl_seconds: int | None = Field(
        default=None, alias="oidcAuthTtlSeconds", ge=1, le=31_536_000,
        description="`oidc`: refuse tokens whose `auth_time` is older than this.",
    )
    oidc_iat_ttl_seconds: int | None = Field(
        default=3600, alias="oidcIatTtlSeconds", ge=1, le=31_536_000,
        description="`oidc`: refuse tokens issued (`iat`) longer ago than this.",
    )
    oidc_name_claim: str = Field(
        default="name", alias="oidcNameClaim", pattern=r"^[A-Za-z0-9_:.\-]{1,128}$",
        description="`oidc`: the claim holding the attendee's display name (`senderName`).",
    )
    oidc_moderator_claim: str | None = Field(
        default=None, alias="oidcModeratorClaim", pattern=r"^[A-Za-z0-9_:.\-]{1,128}(=[^=]{1,256})?$",
        description=(
            "`oidc`: `CLAIM` (grants moderation when `true`) or `CLAIM=VALUE` (when the claim equals `VALUE` "
            "or is a list holding it)."
        ),
    )
    self_sign_up: bool | None = Field(
        default=None, alias="selfSignUp",
        description=(
            "Users may sign themselves up. Off: only administrators create users (`AllowAdminCreateUserOnly`:"
            " staff and moderators; attendees come from the event platform)."
        ),
    )
    ses_email_identity_arn: str | None = Field(
        default=None, alias="sesEmailIdentityArn",
        pattern=r"^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/[^\s]+$",
        description=(
            "An SES verified identity ARN: the pool sends verification and recovery email through SES "
            "(`email_sending_account: DEVELOPER`) instead of Cognito's built-in sender (50 emails a day per "
            "account). A production pool with self sign-up needs it (policy)."
        ),
    )
    allow_password_auth: bool = Field(
        default=False, alias="allowPasswordAuth", description=(
            "Adds `ALLOW_USER_PASSWORD_AUTH` to the app client (scripts and tests; `dev` sets it)."
        )
    )
    log_level: Literal["NONE", "ERROR", "INFO", "DEBUG", "ALL"] = Field(
        default="ERROR", alias="logLevel",
        description="AppSync field log level: `NONE`, `ERROR`, `INFO`, `DEBUG`, `ALL`."
    )
    xray_enabled: bool = Field(default=False, alias="xrayEnabled", description="AppSync X-Ray tracing.")
    query_depth_limit: int = Field(
        default=8, alias="queryDepthLimit", ge=1, le=75, description="Maximum query nesting depth (1–75)."
    )
    resolver_count_limit: int = Field(
        default=200, alias="resolverCountLimit", ge=1, le=10_000,
        description="Maximum resolvers per request (1–10,000)."
    )
    # Capacity planning (chatstack.planning.planner; `chatstack plan --stack <name>`).
    fan_out_mode: Literal["perMessage", "batched", "events"] = Field(
        default="perMessage", alias="fanOutMode",
        description=(
            "`perMessage`: every message is one real-time update per subscriber (`onSendMessage`). `batched`:"
            " a stream consumer publishes each room's new messages once per flush (`onMessageBatch`); see "
            "\"Batched fan-out\". `events`: the same batches, and room events, published to the room's channel "
            "(`/rooms/<roomId>`) on an AppSync Event API beside the GraphQL API, at half the price per delivery; "
            "queries, mutations, threads and moderation stay GraphQL."
        ),
    )
    flush_interval_ms: int = Field(
        default=1000, alias="flushIntervalMs", ge=50, le=60_000, description=(
            "Batched and events modes: how often a room's new messages go out (Lambda batching window, whole "
            "seconds). AWS meters each delivery per 5 kB, so a longer flush saves only the rounding once a flush "
            "fills 5 kB; `chatstack plan` compares 250 ms to 5 s."
        )
    )
    replies_per_second: float | None = Field(
        default=None, alias="repliesPerSecond", ge=0, le=100_000,
        description="Peak thread replies/s, all rooms; default: 10 % of messagesPerSecond (capacity planning).",
    )
    quota_headroom: float = Field(
        default=0.2, alias="quotaHeadroom", ge=0, le=10,
        description="Share above the planned peak every quota must allow before the plan calls it ok.",
    )
    alarm_emails: list[str] = Field(
        default_factory=list, alias="alarmEmails", max_length=20,
        description=(
            "Email addresses subscribed to the stack's alarm topic (each confirms by the link SNS sends)."
        ),
    )
    alarm_https_endpoints: list[str] = Field(
        default_factory=list, alias="alarmHttpsEndpoints", max_length=20,
        description=(
            "`https://` URLs (a pager, a chat webhook) subscribed to the alarm topic; they confirm the "
            "subscription themselves."
        ),
    )
    per_message_rooms: list[str] = Field(
        default_factory=list, alias="perMessageRooms", max_length=100,
        description=(
            "Batched stacks only: the small rooms (room ids) whose clients may subscribe to every message "
            "(`onSendMessage`); every other room is `onMessageBatch` only. A per-message stack refuses the "
            "key."
        ),
    )
    join_window_seconds: float | None = Field(
        default=None, alias="joinWindowSeconds", gt=0, le=86_400,
        description=(
            "If set, the plan requires every participant to be able to connect within this many seconds."
        ),
    )
    request_quota_increases: bool = Field(
        default=False, alias="requestQuotaIncreases",
        description=(
            "Manage Service Quotas increase requests for what the plan needs (quotas with a known code: the "
            "real-time connection rate `L-C01DB6E6`, inbound `L-A1B022A0` and outbound `L-5DE70651` message "
            "rates, request tokens `L-FC5E46D0`, subscriptions per connection `L-AA33EB36`; sources and dates"
            " in `chatstack/planning/quotas.py`)."
        ),
    )
    quota_overrides: dict[str, float | dict[str, Any]] = Field(
        default_factory=dict, alias="quotaOverrides",
        description=(
            "Per quota key of `chatstack/planning/quotas.py`: a new default (a raised quota), or `{default, "
            "ceiling, quotaCode}`."
        ),
    )
    # Moderation: the optional message review hook (see resolvers/functions/reviewMessage.js).
    message_review_function_arn: str | None = Field(
        default=None, alias="messageReviewFunctionArn",
        pattern=r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$",
        description=(
            "A Lambda that reviews every `sendMessage`/`replyToMessage`: allow, deny (`Denied`) or rewrite "
            "(see \"Moderation\"). Unset: no review."
        ),
    )
    message_review_fallback: Literal["allow", "deny"] = Field(
        default="allow", alias="messageReviewFallback",
        description=(
            "`allow` or `deny`: what happens to a message when the review Lambda errs, times out or answers "
            "something else."
        ),
    )
    message_review_local_handler: str | None = Field(
        default=None, alias="messageReviewLocalHandler", pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description=(
            "`chatstack local` only: `module:function` that stands in for the review Lambda (same event and "
            "result); required locally when the ARN is set."
        ),
    )
    price_overrides: dict[str, float] = Field(
        default_factory=dict, alias="priceOverrides",
        description="Per price key of `chatstack/planning/quotas.py`: USD (regions differ)."
    )
    # The web client (components.chat_web_app): private S3 + CloudFront, config.json from the outputs.
    web_app: bool = Field(default=False, alias="webApp", description=(
            "Deploy the web client (`ChatWebApp`: private S3 + CloudFront, `config.json` from the outputs, "
            "output `webUrl`). Needs the build: `make web` first. See \"The web client\"."
        ))
    web_app_domain: str | None = Field(
        default=None, alias="webAppDomain", max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description=(
            "The web client's own host name (a CloudFront alias; point its DNS at the distribution). With "
            "`webAppCertificateArn`; without both, the `*.cloudfront.net` name is used, which CloudFront "
            "serves with TLSv1 allowed (the policy pack refuses that in production)."
        ),
    )
    web_app_certificate_arn: str | None = Field(
        default=None, alias="webAppCertificateArn",
        description=(
            "ACM certificate for `webAppDomain`, in `us-east-1` (the only region CloudFront takes "
            "certificates from)."
        ),
    )
    web_app_embed_origins: list[str] = Field(
        default_factory=list, alias="webAppEmbedOrigins", max_length=20,
        description=(
            "https origins that may frame the client (CSP `frame-ancestors`), e.g. the event page with the "
            "player. Default: no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`)."
        ),
    )

    @field_validator("oidc_issuer")
    @classmethod
    def _https_issuer(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parsed = urlparse(value)
        if parsed.scheme != "https" or not parsed.hostname or parsed.query or parsed.fragment:
            raise ValueError("must be an https URL without query or fragment (the issuer AppSync discovers)")
        return value

    @model_validator(mode="after")
    def _oidc_needs_an_issuer(self) -> EventChatConfig:
        if self.attendee_auth == "oidc" and self.oidc_issuer is None:
            # A whole-model rule: the message names the key itself (parse_config prints it as is).
            raise PydanticCustomError(
                "missing_oidc_issuer",
                f"{NAMESPACE}:oidcIssuer: required when {NAMESPACE}:attendeeAuth is oidc "
                "(the event platform's https issuer URL)",
            )
        return self

    @model_validator(mode="after")
    def _real_issuer_in_production(self) -> EventChatConfig:
        used = self.production and self.attendee_auth == "oidc" and self.oidc_issuer  # unused otherwise
        host = urlparse(self.oidc_issuer).hostname if used else None
        reserved = reserved_example_host(host) if host else None
        if reserved:
            # AppSync would fetch this issuer's discovery document for every attendee: a placeholder
            # left in a production stack locks every attendee out, so it fails before any resource.
            raise PydanticCustomError(
                "reserved_oidc_issuer",
                f"{NAMESPACE}:oidcIssuer: {{issuer}} is a reserved example host ({{reserved}}; RFC 2606/6761) "
                "that no event platform serves. A production stack needs the event platform's issuer: "
                f"pulumi config set {NAMESPACE}:oidcIssuer https://<the platform's issuer>",
                {"issuer": repr(self.oidc_issuer), "reserved": reserved},
            )
        return self

    @property
    def oidc_moderator(self) -> tuple[str, str]:
        """(claim, value) of oidcModeratorClaim; ('', '') when unset, value '' when a bare claim."""
        if not self.oidc_moderator_claim:
            return "", ""
        claim, _, value = self.oidc_moderator_claim.partition("=")
        return claim, value

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not isinstance(address, str) or not EMAIL.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("alarm_https_endpoints")
    @classmethod
    def _https_endpoints(cls, value: list[str]) -> list[str]:
        for url in value:
            parsed = urlparse(url) if isinstance(url, str) else None
            if parsed is None or parsed.scheme != "https" or not parsed.hostname:
                raise ValueError(f"{url!r} is not an https URL (SNS delivers alarms to https endpoints only)")
        return value

    @field_validator("per_message_rooms")
    @classmethod
    def _room_ids(cls, value: list[str]) -> list[str]:
        for room in value:
            if not isinstance(room, str) or not ROOM_ID.fullmatch(room):
                raise ValueError(f"{room!r} is not a room id (1-64 characters of A-Z, a-z, 0-9, _ or -)")
        return value

    @model_validator(mode="after")
    def _per_message_rooms_need_batched_mode(self) -> EventChatConfig:
        if self.per_message_rooms and self.fan_out_mode != "batched":
            raise PydanticCustomError(
                "per_message_rooms_without_batching",
                f"{NAMESPACE}:perMessageRooms: only for {NAMESPACE}:fanOutMode batched (per-message stacks "
                "deliver every room per message)",
            )
        return self

    @field_validator("default_auth", mode="before")
    @classmethod
    def _no_api_key(cls, value: Any) -> Any:
        if value == "API_KEY":
            # An API key is a shared secret in every client; no type carries @aws_api_key, so an
            # API_KEY default would refuse every key caller and lock Cognito users out of
            # undirected fields. Not offered rather than half-supported.
            raise ValueError(
                "API_KEY is not supported: an API key is a shared secret shipped in every client, and no "
                "type or field of the schema carries @aws_api_key. Use AMAZON_COGNITO_USER_POOLS (sign-up "
                "for development, chatstack:allowPasswordAuth for scripts)"
            )
        return value

    @field_validator("quota_overrides")
    @classmethod
    def _known_quotas(cls, value: dict[str, Any]) -> dict[str, Any]:
        from chatstack.planning.quotas import QUOTAS

        for key, override in value.items():
            if key not in QUOTAS:
                raise ValueError(f"unknown quota {key!r}; known: {', '.join(sorted(QUOTAS))}")
            if isinstance(override, dict):
                unknown = set(override) - {"default", "ceiling", "quotaCode"}
                if unknown:
                    raise ValueError(f"{key}: unknown fields {sorted(unknown)}; use default, ceiling, quotaCode")
                for field_name in ("default", "ceiling"):
                    number = override.get(field_name)
                    if number is not None and (not isinstance(number, (int, float)) or number <= 0):
                        raise ValueError(f"{key}.{field_name} must be a positive number")
            elif override <= 0:
                raise ValueError(f"{key} must be a positive number")
        return value

    @field_validator("price_overrides")
    @classmethod
    def _known_prices(cls, value: dict[str, float]) -> dict[str, float]:
        from chatstack.planning.quotas import PRICES

        for key, price in value.items():
            if key not in PRICES:
                raise ValueError(f"unknown price {key!r}; known: {', '.join(sorted(PRICES))}")
            if price < 0:
                raise ValueError(f"{key} must not be negative")
        return value

    @field_validator("web_app_certificate_arn")
    @classmethod
    def _certificate_in_us_east_1(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"arn:aws(-[a-z]+)*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+",
                                                  value):
            raise ValueError("not an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from there)")
        return value

    @field_validator("web_app_embed_origins")
    @classmethod
    def _embed_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(r"https://[a-z0-9.-]+(:\d{1,5})?|http://(127\.0\.0\.1|localhost)(:\d{1,5})?", origin):
                raise ValueError(f"{origin!r} is not an https origin (https://host[:port], no path; "
                                 "http://127.0.0.1:port or http://localhost:port only in development)")
        return value

    @model_validator(mode="after")
    def _web_app_settings(self) -> EventChatConfig:
        if (self.web_app_domain is None) != (self.web_app_certificate_arn is None):
            raise PydanticCustomError(
                "web_app_domain_needs_certificate",
                f"{NAMESPACE}:webAppDomain and {NAMESPACE}:webAppCertificateArn go together (CloudFront serves a "
                "custom domain only with its ACM certificate); set both or neither",
            )
        if self.production and any(o.startswith("http://") for o in self.web_app_embed_origins):
            raise PydanticCustomError(
                "web_app_embed_origin_http_in_production",
                f"{NAMESPACE}:webAppEmbedOrigins: production pages are framed only by https origins",
            )
        if not self.web_app and (self.web_app_domain or self.web_app_embed_origins):
            raise PydanticCustomError(
                "web_app_settings_without_web_app",
                f"{NAMESPACE}:webAppDomain / webAppEmbedOrigins are set but {NAMESPACE}:webApp is not true",
            )
        return self

    @property
    def message_review(self) -> str:
        """ctx.env.MESSAGE_REVIEW: "off" without a review hook, else the hook's fallback."""
        return self.message_review_fallback if self.message_review_function_arn else "off"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def self_sign_up_allowed(self) -> bool:
        return self.attendee_auth == "cognito" if self.self_sign_up is None else self.self_sign_up

    @property
    def deletion_protected(self) -> bool:
        return self.production if self.deletion_protection is None else self.deletion_protection

    @property
    def log_retention_days(self) -> int:
        """CloudWatch retention of the stack's own log groups."""
        return 90 if self.production else 14

    @property
    def retention_seconds(self) -> int:
        return self.retention_days * 86_400


def config_keys() -> list[str]:
    """Every accepted config key, `chatstack:`-qualified."""
    return [f"{NAMESPACE}:{f.alias or name}" for name, f in EventChatConfig.model_fields.items()]


def parse_config(values: dict[str, Any]) -> EventChatConfig:
    """Validate `{key-without-namespace: value}`; raise StackConfigError naming each bad key."""
    known = {f.alias or name for name, f in EventChatConfig.model_fields.items()}
    problems = []
    for key in sorted(set(values) - known):
        hint = difflib.get_close_matches(key, known, n=1)
        suggestion = f"; did you mean {NAMESPACE}:{hint[0]}?" if hint else ""
        problems.append(f"{NAMESPACE}:{key}: not a known setting{suggestion}")
    if problems:
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(problems))
    try:
        return EventChatConfig.model_validate(values)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"])
            if not item["loc"]:
                lines.append(item["msg"])
            elif item["type"] == "missing":
                lines.append(f"{NAMESPACE}:{key}: required, not set")
            else:
                lines.append(f"{NAMESPACE}:{key}: {item['input']!r} is not allowed: {item['msg']}")
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(lines)) from None


def parse_config_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`--config key=value` pairs as qualified keys; keys without a namespace are `chatstack:` keys."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--config expects key=value, got {pair!r}")
        overrides[key if ":" in key else f"{NAMESPACE}:{key}"] = value
    return overrides


def read_pulumi_config() -> EventChatConfig:
    """Validate every `chatstack:` key the Pulumi engine passes to the program."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return parse_stack_values(merged)


def parse_stack_values(merged: dict[str, Any]) -> EventChatConfig:
    """Validate the `chatstack:` keys of a stack's config as the engine passes it (strings, JSON)."""
    prefix = f"{NAMESPACE}:"
    values = {key[len(prefix):]: _decode(value) for key, value in merged.items() if key.startswith(prefix)}
    return parse_config(values)


def _decode(value: Any) -> Any:
    # Pulumi hands structured values over as JSON strings; scalars stay strings for pydantic.
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
