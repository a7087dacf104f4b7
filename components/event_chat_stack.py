"""One event's chat: user pool + table + API (+ batched fan-out, + web client), wired together."""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from chatstack.config import EventChatConfig, StackConfigError, parse_config
from chatstack.event_names import check_event_name, physical_name, stem
from chatstack.planning.planner import CapacityPlan, deployment_problems, plan_for_config
from chatstack.project import Project, program_files
from components.alarm_topic import AlarmTopic, AlarmTopicArgs
from components.batch_fanout import BatchFanout, BatchFanoutArgs
from components.chat_api import ChatApi, ChatApiArgs, OidcAttendeeAuth
from components.chat_archive import ChatArchive, ChatArchiveArgs
from components.chat_events import ChatEvents, ChatEventsArgs
from components.chat_table import ChatTable, ChatTableArgs
from components.chat_user_pool import ChatUserPool, ChatUserPoolArgs
from components.chat_web_app import ChatWebApp, ChatWebAppArgs, site_files
from components.event_dashboard import dashboard_body, dashboard_url
from components.transforms import TransformArgs, check_roles


def event_tags(event: str, config: EventChatConfig) -> dict[str, str]:
    tags = {"event": event, "environment": config.environment, "owner": config.owner, "managed-by": "chatstack"}
    if config.cost_center:
        tags["cost-center"] = config.cost_center
    return tags


@dataclass
class EventChatStackArgs:
    """One event's chat backend. Every field is a type Pulumi's component analyzer maps to the
    package schema, so other languages can use the component (see tests/components/test_component_schema.py)."""

    event: str
    region: str
    # The event's settings: a stack file's chatstack:* keys without the namespace, e.g.
    # {"environment": "production", "owner": "live-events", "participants": 250000}, validated as
    # a stack file's are (chatstack config schema). Python callers may pass an EventChatConfig.
    config: dict[str, Any]
    # The Pulumi project's name, part of every physical name; default: pulumi.get_project().
    project: str | None = None
    # A directory holding the schema/, resolvers/ (and web/dist) to deploy; default: the Pulumi
    # project's own, else the installed package's (chatstack.project.program_files).
    files_dir: str | None = None
    # Per child component ("userPool", "table", "api", "fanout", "alarms", "webApp"): that
    # component's transform (child role -> args merged into the child's; Python: or a callable).
    transform: dict[str, TransformArgs] | None = None


def checked_plan(config: EventChatConfig, plan: CapacityPlan | None = None) -> CapacityPlan:
    """The stack's capacity plan; StackConfigError (before any resource) if it cannot be deployed."""
    plan = plan or plan_for_config(config)
    problems = deployment_problems(plan, config.request_quota_increases)
    if problems:
        raise StackConfigError(
            f"capacity plan is {plan.verdict} (see `chatstack plan --stack <stack>`):\n  " + "\n  ".join(problems)
        )
    return plan


def oidc_attendee_auth(config: EventChatConfig) -> OidcAttendeeAuth | None:
    if config.attendee_auth != "oidc":
        return None
    assert config.oidc_issuer is not None  # the config model requires it for oidc
    claim, value = config.oidc_moderator
    return OidcAttendeeAuth(
        issuer=config.oidc_issuer,
        client_id=config.oidc_client_id,
        auth_ttl_seconds=config.oidc_auth_ttl_seconds,
        iat_ttl_seconds=config.oidc_iat_ttl_seconds,
        name_claim=config.oidc_name_claim,
        moderator_claim=claim,
        moderator_value=value,
    )


# What the web client asks the event platform's issuer for (OpenID Connect scopes).
OIDC_SCOPES = "openid profile"


def attendee_sign_in_outputs(config: EventChatConfig) -> dict[str, str | bool]:
    """attendeeAuth, whether the pool lets people sign themselves up (selfSignUp: the sign-in page
    offers "Create Account" only then) and, for oidc stacks, the issuer, client id, scopes and
    moderator claim."""
    outputs: dict[str, str | bool] = {"attendeeAuth": config.attendee_auth, "selfSignUp": config.self_sign_up_allowed}
    if config.attendee_auth == "oidc":
        assert config.oidc_issuer is not None
        outputs.update(oidcIssuer=config.oidc_issuer, oidcScopes=OIDC_SCOPES,
                       oidcModeratorClaim=config.oidc_moderator_claim or "")
        if config.oidc_client_id:
            outputs["oidcClientId"] = config.oidc_client_id
    return outputs


class EventChatStack(pulumi.ComponentResource):
    graphql_url: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]
    realtime_url: pulumi.Output[str]
    api_id: pulumi.Output[str]
    user_pool_id: pulumi.Output[str]
    user_pool_client_id: pulumi.Output[str]
    table_name: pulumi.Output[str]

    def __init__(self, name: str, args: EventChatStackArgs, opts: pulumi.ResourceOptions | None = None):
        # Before super().__init__: an unusable name or an undeployable plan registers nothing,
        # not even this component.
        project = args.project or pulumi.get_project()
        check_event_name(project, args.event)
        config = args.config if isinstance(args.config, EventChatConfig) else parse_config(dict(args.config))
        self.plan = plan = checked_plan(config)
        files = Project(Path(args.files_dir)) if args.files_dir else program_files()
        transform = args.transform or {}
        if config.web_app:
            site_files(files.web_dist)  # an unbuilt client stops here, naming chatstack:webApp
        super().__init__("chatstack:index:EventChatStack", name, {}, opts)
        check_roles(transform, {"userPool", "table", "api", "fanout", "alarms", "webApp", "archive"}, "EventChatStack")
        tags = event_tags(args.event, config)

        def named(suffix: str) -> str:
            return physical_name(project, args.event, suffix)

        # Every alarm of the stack notifies this topic's subscribers.
        alarms = AlarmTopic(
            f"{name}-alarms",
            AlarmTopicArgs(
                physical_name=named("alarms"),
                tags=tags,
                emails=list(config.alarm_emails),
                https_endpoints=list(config.alarm_https_endpoints),
                transform=transform.get("alarms"),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        users = ChatUserPool(
            f"{name}-users",
            ChatUserPoolArgs(
                physical_name=named("users"),
                tags=tags,
                deletion_protection=config.deletion_protected,
                allow_password_auth=config.allow_password_auth,
                self_sign_up=config.self_sign_up_allowed,
                ses_email_identity_arn=config.ses_email_identity_arn,
                # A staff-only production pool (attendees elsewhere, no self sign-up): MFA for everyone.
                require_mfa=config.production and not config.self_sign_up_allowed,
                transform=transform.get("userPool"),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        table = ChatTable(
            f"{name}-messages",
            ChatTableArgs(
                physical_name=named("messages"),
                tags=tags,
                billing_mode=config.billing_mode,
                # Capacity from the plan: on-demand ceilings, or provisioned autoscaling bounds.
                max_read_request_units=plan.table.max_read_request_units,
                max_write_request_units=plan.table.max_write_request_units,
                min_read_capacity=plan.table.min_read_capacity,
                max_read_capacity=plan.table.max_read_capacity,
                min_write_capacity=plan.table.min_write_capacity,
                max_write_capacity=plan.table.max_write_capacity,
                point_in_time_recovery=config.point_in_time_recovery,
                deletion_protection=config.deletion_protected,
                alarm_topic_arn=alarms.topic_arn,
                transform=transform.get("table"),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        api = ChatApi(
            f"{name}-graphql",
            ChatApiArgs(
                physical_name=named("api"),
                tags=tags,
                region=args.region,
                user_pool_id=users.user_pool_id,
                table_name=table.name,
                table_arn=table.arn,
                schema=files.schema(),
                manifest_path=str(files.manifest_path),
                retention_seconds=config.retention_seconds,
                oidc=oidc_attendee_auth(config),
                per_message_rooms=list(config.per_message_rooms) if config.fan_out_mode == "batched" else None,
                alarm_topic_arn=alarms.topic_arn,
                message_review_function_arn=config.message_review_function_arn,
                message_review=config.message_review,
                log_level=config.log_level,
                exclude_verbose_content=config.production,
                log_retention_days=config.log_retention_days,
                xray_enabled=config.xray_enabled,
                query_depth_limit=config.query_depth_limit,
                resolver_count_limit=config.resolver_count_limit,
                introspection=not config.production,
                transform=transform.get("api"),
            ),
            pulumi.ResourceOptions(parent=self),
        )

        # events: the batches (and room events) go out through an Event API beside the GraphQL API.
        events = None
        if config.fan_out_mode == "events":
            events = ChatEvents(
                f"{name}-events",
                ChatEventsArgs(
                    physical_name=named("events"),
                    tags=tags,
                    region=args.region,
                    user_pool_id=users.user_pool_id,
                    table_name=table.name,
                    table_arn=table.arn,
                    oidc=oidc_attendee_auth(config),
                    alarm_topic_arn=alarms.topic_arn,
                    log_level=config.log_level,
                    log_retention_days=config.log_retention_days,
                    transform=transform.get("events"),
                ),
                pulumi.ResourceOptions(parent=self),
            )

        consumers = []
        if config.fan_out_mode in ("batched", "events"):
            fanout = BatchFanout(
                f"{name}-fanout",
                BatchFanoutArgs(
                    physical_name=named("fanout"),
                    tags=tags,
                    table_arn=table.arn,
                    stream_arn=table.stream_arn,
                    api_arn=api.api_arn,
                    graphql_url=api.graphql_url,
                    table_name=table.name,
                    alarm_topic_arn=alarms.topic_arn,
                    flush_interval_ms=config.flush_interval_ms,
                    log_retention_days=config.log_retention_days,
                    events_url=events.events_url if events else None,
                    events_api_arn=events.api_arn if events else None,
                    transform=transform.get("fanout"),
                ),
                pulumi.ResourceOptions(parent=self),
            )
            consumers.append(fanout.function_name)

        # Every chat event to S3 (the report, Athena), and the chat's per-room metrics.
        archive = ChatArchive(
            f"{name}-archive",
            ChatArchiveArgs(
                physical_name=named("archive"),
                stem=stem(project, args.event),
                event=args.event,
                tags=tags,
                stream_arn=table.stream_arn,
                table_arn=table.arn,
                retention_days=config.retention_days,
                log_retention_days=config.log_retention_days,
                alarm_topic_arn=alarms.topic_arn,
                force_destroy=not config.production,
                transform=transform.get("archive"),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        consumers.append(archive.function_name)
        dashboard_name = stem(project, args.event)
        aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=dashboard_name,
            dashboard_body=pulumi.Output.all(api.api_id, table.name, *consumers).apply(
                lambda v: dashboard_body(args.region, args.event, v[0], v[1], list(v[2:]))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_url = pulumi.Output.from_input(dashboard_url(args.region, dashboard_name))
        self.archive_bucket = archive.bucket_name

        if config.request_quota_increases:
            self._request_quota_increases(name, plan)

        self.graphql_url = api.graphql_url
        self.realtime_url = api.realtime_url
        self.api_id = api.api_id
        self.user_pool_id = users.user_pool_id
        self.user_pool_client_id = users.client_id
        self.table_name = table.name
        self.fan_out_mode = pulumi.Output.from_input(config.fan_out_mode)
        self.events_url = events.events_url if events else None
        self.events_realtime_url = events.events_realtime_url if events else None
        # What the web client needs to sign attendees in (config.json): who signs them in and,
        # for the event platform, its issuer, the client id it issues tokens to and the claims.
        self.attendee_sign_in = {key: pulumi.Output.from_input(value)
                                 for key, value in attendee_sign_in_outputs(config).items()}
        self.web_url: pulumi.Output[str] | None = None
        # Who may frame the client and hand it an attendee token (postMessage; CSP frame-ancestors).
        self.embed_origins = (pulumi.Output.from_input(list(config.web_app_embed_origins))
                              if config.web_app_embed_origins else None)
        if config.web_app:
            web = ChatWebApp(
                f"{name}-web",
                ChatWebAppArgs(
                    stem=stem(project, args.event),
                    tags=tags,
                    region=args.region,
                    site_dir=str(files.web_dist),
                    outputs={**self.outputs(), "region": args.region},
                    domain=config.web_app_domain,
                    certificate_arn=config.web_app_certificate_arn,
                    embed_origins=list(config.web_app_embed_origins),
                    force_destroy=not config.production,
                    transform=transform.get("webApp"),
                ),
                pulumi.ResourceOptions(parent=self),
            )
            self.web_url = web.web_url
        self.register_outputs(self.outputs())

    def _request_quota_increases(self, name: str, plan: CapacityPlan) -> None:
        """One Service Quotas increase request per quota the plan needs raised (codes: chatstack.planning.quotas).

        Service quotas belong to the account and region, not to this stack: two stacks must not
        both manage the same quota code, and destroying the stack does not lower the quota.
        """
        for check in plan.quota_increases:
            aws.servicequotas.ServiceQuota(
                f"{name}-quota-{check.key}",
                service_code=check.service_code,
                quota_code=check.quota_code,  # deployment_problems() rejected increases without a code
                value=float(math.ceil(check.target)),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The stack outputs, by their exported keys."""
        return {
            "graphqlUrl": self.graphql_url,
            "realtimeUrl": self.realtime_url,
            "apiId": self.api_id,
            "userPoolId": self.user_pool_id,
            "userPoolClientId": self.user_pool_client_id,
            "tableName": self.table_name,
            "fanOutMode": self.fan_out_mode,
            **({"eventsUrl": self.events_url, "eventsRealtimeUrl": self.events_realtime_url}
               if self.events_url is not None else {}),
            **self.attendee_sign_in,
            "dashboardUrl": self.dashboard_url,
            "archiveBucket": self.archive_bucket,
            **({"webUrl": self.web_url} if self.web_url is not None else {}),
            **({"embedOrigins": self.embed_origins} if self.embed_origins is not None else {}),
        }
