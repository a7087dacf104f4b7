"""The AppSync Event API of an `events` stack (chatstack:fanOutMode events): the cheapest way
AppSync delivers. One channel namespace, `rooms`: the fan-out consumer publishes each room's
packed batches and room events to /rooms/<roomId> with IAM (the only publish auth mode, so no
client can publish); attendees subscribe with their Cognito or OIDC token, and the namespace's
onSubscribe handler (resolvers/events/rooms.js) refuses other channels and banned users with one
GetItem on the chat table. Queries, mutations, threads and moderation stay on the GraphQL API."""

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from chatstack.event_names import role_name_prefix
from chatstack.project import program_files
from components.alarm_topic import notify, single_metric
from components.chat_api import OidcAttendeeAuth, appsync_trust_policy
from components.transforms import TransformArgs, apply_transform, check_roles

ROOMS_NAMESPACE = "rooms"  # fanout_consumer.events.ROOMS_NAMESPACE: the channels /rooms/<roomId>
HANDLER_FILE = "events/rooms.js"  # under resolvers/, beside the GraphQL resolvers
# The Event API's log levels (the GraphQL API's field log levels map onto them).
EVENT_LOG_LEVELS = {"NONE": "NONE", "ERROR": "ERROR", "INFO": "INFO", "DEBUG": "DEBUG", "ALL": "ALL"}


@dataclass
class ChatEventsArgs:
    physical_name: str
    tags: dict[str, str]
    region: str
    user_pool_id: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    # Attendees from the event platform (OPENID_CONNECT beside Cognito); None: Cognito only.
    oidc: OidcAttendeeAuth | None = None
    # The onSubscribe/onPublish handlers; default: the program's resolvers/events/rooms.js.
    handler_path: str | None = None
    alarm_topic_arn: pulumi.Input[str] | None = None
    log_level: str = "ERROR"
    log_retention_days: int = 30
    transform: TransformArgs | None = None


def events_urls(dns: dict[str, str]) -> tuple[str, str]:
    """(HTTP publish URL, WebSocket URL) from the Event API's DNS map."""
    return f"https://{dns['HTTP']}/event", f"wss://{dns['REALTIME']}/event/realtime"


def channel_namespace_arn(api_arn: str, namespace: str = ROOMS_NAMESPACE) -> str:
    return f"{api_arn}/channelNamespace/{namespace}"


def publish_policy(api_arn: str) -> str:
    """appsync:EventPublish on the rooms namespace of this one Event API (the fan-out consumer)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["appsync:EventPublish"],
        "Resource": [channel_namespace_arn(api_arn), f"{channel_namespace_arn(api_arn)}/*"]}]})


class ChatEvents(pulumi.ComponentResource):
    api_id: pulumi.Output[str]
    api_arn: pulumi.Output[str]
    events_url: pulumi.Output[str]
    events_realtime_url: pulumi.Output[str]

    ROLES = {"api", "logRole", "logGroup", "dataSourceRole", "dataSource", "namespace", "alarms"}

    def __init__(self, name: str, args: ChatEventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatstack:index:ChatEvents", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatEvents")
        self._name, self._args = name, args
        log_role = self._service_role("evlog", "logRole")
        api = self._api(log_role)
        self._logging(api, log_role)
        data_source = self._table_source(api)
        self._namespace(api, data_source)
        self._alarms(api)
        self.api_id = api.api_id
        self.api_arn = api.api_arn
        urls = api.dns.apply(events_urls)
        self.events_url = urls.apply(lambda u: u[0])
        self.events_realtime_url = urls.apply(lambda u: u[1])
        self.register_outputs({"eventsUrl": self.events_url, "eventsRealtimeUrl": self.events_realtime_url})

    def _api(self, log_role: aws.iam.Role) -> aws.appsync.Api:
        a = self._args
        cognito = {"auth_type": "AMAZON_COGNITO_USER_POOLS",
                   "cognito_config": {"user_pool_id": a.user_pool_id, "aws_region": a.region}}
        providers = [cognito, {"auth_type": "AWS_IAM"}]
        if a.oidc is not None:
            oidc = a.oidc.provider()["openid_connect_config"]
            providers.append({"auth_type": "OPENID_CONNECT", "openid_connect_config": {
                "issuer": oidc["issuer"], **({"client_id": oidc["client_id"]} if "client_id" in oidc else {}),
                **({"auth_ttl": oidc["auth_ttl"]} if "auth_ttl" in oidc else {}),
                **({"iat_ttl": oidc["iat_ttl"]} if "iat_ttl" in oidc else {})}})
        attendees = [{"auth_type": "AMAZON_COGNITO_USER_POOLS"}] + (
            [{"auth_type": "OPENID_CONNECT"}] if a.oidc is not None else [])
        api_args: dict = {
            "name": a.physical_name,
            "event_config": {
                # No API key: a shared secret in every client. IAM connects the consumer.
                "auth_providers": providers,
                "connection_auth_modes": [*attendees, {"auth_type": "AWS_IAM"}],
                "default_publish_auth_modes": [{"auth_type": "AWS_IAM"}],
                "default_subscribe_auth_modes": attendees,
                "log_config": {"cloudwatch_logs_role_arn": log_role.arn,
                               "log_level": EVENT_LOG_LEVELS.get(a.log_level, "ERROR")},
            },
            "tags": a.tags,
        }
        opts = pulumi.ResourceOptions(parent=self)
        api_args = apply_transform(a.transform, "api", api_args, opts)
        return aws.appsync.Api(f"{self._name}-api", **api_args, opts=opts)

    def _service_role(self, suffix: str, role: str) -> aws.iam.Role:
        opts = pulumi.ResourceOptions(parent=self)
        args = apply_transform(self._args.transform, role, {
            "name_prefix": role_name_prefix(self._args.physical_name, suffix),
            "assume_role_policy": pulumi.Output.from_input(self._args.table_arn).apply(appsync_trust_policy),
            "tags": self._args.tags,
        }, opts)
        return aws.iam.Role(f"{self._name}-{suffix}-role", **args, opts=opts)

    def _logging(self, api: aws.appsync.Api, log_role: aws.iam.Role) -> None:
        opts = pulumi.ResourceOptions(parent=self)
        group_args = apply_transform(self._args.transform, "logGroup", {
            "name": api.api_id.apply(lambda api_id: f"/aws/appsync/apis/{api_id}"),
            "retention_in_days": self._args.log_retention_days,
            "tags": self._args.tags,
        }, opts)
        group = aws.cloudwatch.LogGroup(f"{self._name}-logs", **group_args, opts=opts)
        aws.iam.RolePolicy(
            f"{self._name}-log-policy", role=log_role.id,
            policy=group.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [arn, f"{arn}:*"]}]})),
            opts=pulumi.ResourceOptions(parent=self))

    def _table_source(self, api: aws.appsync.Api) -> aws.appsync.DataSource:
        """The chat table for onSubscribe's ban check: GetItem only, on this table."""
        role = self._service_role("evds", "dataSourceRole")
        policy = aws.iam.RolePolicy(
            f"{self._name}-table-policy", role=role.id,
            policy=pulumi.Output.from_input(self._args.table_arn).apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [arn]}]})),
            opts=pulumi.ResourceOptions(parent=self))
        opts = pulumi.ResourceOptions(parent=self, depends_on=[policy])
        ds_args = apply_transform(self._args.transform, "dataSource", {
            "api_id": api.api_id, "name": "chatTable", "type": "AMAZON_DYNAMODB",
            "service_role_arn": role.arn,
            "dynamodb_config": {"table_name": self._args.table_name, "region": self._args.region},
        }, opts)
        return aws.appsync.DataSource(f"{self._name}-table", **ds_args, opts=opts)

    def _namespace(self, api: aws.appsync.Api, data_source: aws.appsync.DataSource) -> None:
        a = self._args
        path = Path(a.handler_path) if a.handler_path else program_files().manifest_path.parent / HANDLER_FILE
        opts = pulumi.ResourceOptions(parent=self)
        ns_args = apply_transform(a.transform, "namespace", {
            "api_id": api.api_id,
            "name": ROOMS_NAMESPACE,
            "code_handlers": path.read_text(encoding="utf-8"),
            # onSubscribe reads the table (CODE with a data source); onPublish is code alone.
            "handler_configs": {
                "on_subscribe": {"behavior": "CODE", "integration": {"data_source_name": data_source.name}},
            },
            "publish_auth_modes": [{"auth_type": "AWS_IAM"}],
            "subscribe_auth_modes": [{"auth_type": "AMAZON_COGNITO_USER_POOLS"}] + (
                [{"auth_type": "OPENID_CONNECT"}] if a.oidc is not None else []),
            "tags": a.tags,
        }, opts)
        aws.appsync.ChannelNamespace(f"{self._name}-rooms", **ns_args, opts=opts)

    def _alarms(self, api: aws.appsync.Api) -> None:
        # Server errors on the Event API's HTTP (publish) endpoint: batches are not going out.
        opts = pulumi.ResourceOptions(parent=self)
        alarm = single_metric("AWS/AppSync", "5XXError", "Sum", {"EventAPIId": api.api_id})
        alarm_args = apply_transform(self._args.transform, "alarms", {
            "name": f"{self._args.physical_name}-5xx-errors", **alarm, "evaluation_periods": 5,
            "datapoints_to_alarm": 3, **notify(self._args.alarm_topic_arn), "tags": self._args.tags,
        }, opts)
        aws.cloudwatch.MetricAlarm(f"{self._name}-5xx-errors", **alarm_args, opts=opts)
