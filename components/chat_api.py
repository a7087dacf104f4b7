"""AppSync GraphQL API of an event chat: schema, auth, logging, and every data source,
function and resolver named in the resolver manifest."""

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from appsync_local.manifest import load_manifest
from chatstack.event_names import role_name_prefix
from chatstack.oidc_client_id import client_id_pattern
from chatstack.project import program_files
from components.alarm_topic import notify, single_metric
from components.appsync_schema import appsync_schema
from components.transforms import TransformArgs, apply_transform, check_roles

APPSYNC_JS_RUNTIME = {"name": "APPSYNC_JS", "runtime_version": "1.0.0"}


@dataclass(frozen=True)
class OidcAttendeeAuth:
    """Attendees signed in by the event platform: AppSync's OPENID_CONNECT provider settings,
    and how resolvers read a display name and moderator rights from its tokens."""

    issuer: str
    client_id: str | None = None
    auth_ttl_seconds: int | None = None
    iat_ttl_seconds: int | None = None
    name_claim: str = "name"
    moderator_claim: str = ""  # '' = no attendee moderates through a claim
    moderator_value: str = ""  # '' = the claim must be true

    def provider(self) -> dict:
        config: dict = {"issuer": self.issuer}
        if self.client_id:
            config["client_id"] = client_id_pattern(self.client_id)  # AppSync reads it as a regex
        # AppSync takes the TTLs in milliseconds.
        if self.auth_ttl_seconds:
            config["auth_ttl"] = self.auth_ttl_seconds * 1000
        if self.iat_ttl_seconds:
            config["iat_ttl"] = self.iat_ttl_seconds * 1000
        return {"authentication_type": "OPENID_CONNECT", "openid_connect_config": config}


def resolver_environment(table_name: str, retention_seconds: int, oidc: OidcAttendeeAuth | None,
                         per_message_rooms: tuple[str, ...] | None = None,
                         message_review: str = "off") -> dict[str, str]:
    """ctx.env for the manifest's code (names: resolvers/manifest.yaml `environment`).

    per_message_rooms: the rooms whose onSendMessage subscriptions are open (batched stacks);
    None: every room (per-message stacks). message_review: "off" without a review hook, else
    its fallback ("allow" | "deny").
    """
    return {
        "PER_MESSAGE_ROOMS": "*" if per_message_rooms is None else json.dumps(list(per_message_rooms)),
        "TABLE_NAME": table_name,
        "RETENTION_SECONDS": str(retention_seconds),
        "OIDC_NAME_CLAIM": oidc.name_claim if oidc else "name",
        "OIDC_MODERATOR_CLAIM": oidc.moderator_claim if oidc else "",
        "OIDC_MODERATOR_VALUE": oidc.moderator_value if oidc else "",
        "MESSAGE_REVIEW": message_review,
    }


@dataclass
class ChatApiArgs:
    physical_name: str
    tags: dict[str, str]
    region: str
    user_pool_id: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    # The schema and resolvers/manifest.yaml to deploy; default: the program's (program_files()).
    schema: str | None = None
    manifest_path: str | None = None
    retention_seconds: int = 0
    # Attendees from the event platform (OPENID_CONNECT, an additional provider); None: Cognito only.
    oidc: OidcAttendeeAuth | None = None
    # Batched stacks: the only rooms open to per-message onSendMessage subscriptions; None: all rooms.
    per_message_rooms: list[str] | None = None
    # Where the API's alarms notify (the stack's AlarmTopic); None: alarms without actions.
    alarm_topic_arn: pulumi.Input[str] | None = None
    # The message review Lambda (manifest data source messageReview); None deploys it as NONE.
    message_review_function_arn: str | None = None
    message_review: str = "off"  # ctx.env.MESSAGE_REVIEW: off | allow | deny (the fallback)
    log_level: str = "ERROR"  # NONE | ERROR | INFO | DEBUG | ALL
    exclude_verbose_content: bool = True
    log_retention_days: int = 30
    xray_enabled: bool = False
    query_depth_limit: int = 8
    resolver_count_limit: int = 200
    introspection: bool = False
    transform: TransformArgs | None = None


class ChatApi(pulumi.ComponentResource):
    api_id: pulumi.Output[str]
    api_arn: pulumi.Output[str]
    graphql_url: pulumi.Output[str]
    realtime_url: pulumi.Output[str]

    ROLES = {"api", "logRole", "logGroup", "dataSourceRole", "dataSource", "function", "resolver", "alarms"}

    def __init__(self, name: str, args: ChatApiArgs, opts: pulumi.ResourceOptions | None = None):
        self._schema = args.schema if args.schema is not None else program_files().schema()
        self._manifest = load_manifest(Path(args.manifest_path) if args.manifest_path
                                       else program_files().manifest_path)
        super().__init__("chatstack:index:ChatApi", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatApi")
        self._name = name
        self._args = args

        log_role = self._service_role("log", "logRole")
        api = self._api(log_role)
        self._logging(api, log_role)

        self._alarms(api)
        data_sources = self._data_sources(api)
        self._functions_and_resolvers(api, data_sources)

        self.api_id = api.id
        self.api_arn = api.arn
        self.graphql_url = api.uris.apply(lambda uris: uris["GRAPHQL"])
        self.realtime_url = api.uris.apply(lambda uris: uris["REALTIME"])
        self.register_outputs(
            {"apiId": self.api_id, "graphqlUrl": self.graphql_url, "realtimeUrl": self.realtime_url}
        )

    def _api(self, log_role: aws.iam.Role) -> aws.appsync.GraphQLApi:
        a = self._args
        # Cognito user pools by default; IAM for backend callers (the fan-out consumer); OIDC for
        # attendees when configured. No API key: a shared secret in every client.
        additional = [{"authentication_type": "AWS_IAM"}]
        if a.oidc is not None:
            additional.append(a.oidc.provider())
        api_args: dict = {
            "name": a.physical_name,
            "authentication_type": "AMAZON_COGNITO_USER_POOLS",
            "user_pool_config": {"user_pool_id": a.user_pool_id, "aws_region": a.region, "default_action": "ALLOW"},
            "additional_authentication_providers": additional,
            "schema": appsync_schema(self._schema),
            "log_config": {
                "cloudwatch_logs_role_arn": log_role.arn,
                "field_log_level": a.log_level,
                "exclude_verbose_content": a.exclude_verbose_content,
            },
            "xray_enabled": a.xray_enabled,
            "query_depth_limit": a.query_depth_limit,
            "resolver_count_limit": a.resolver_count_limit,
            "introspection_config": "ENABLED" if a.introspection else "DISABLED",
            "visibility": "GLOBAL",
            "tags": a.tags,
        }
        api_opts = pulumi.ResourceOptions(parent=self)
        api_args = apply_transform(a.transform, "api", api_args, api_opts)
        return aws.appsync.GraphQLApi(f"{self._name}-api", **api_args, opts=api_opts)

    # The real-time path (AppSync's WebSocket metrics, AWS/AppSync, per API): server errors are
    # AppSync failing people; client errors in bulk are a misconfiguration (a wrong OIDC issuer
    # or client id refuses every attendee's connect) rather than one bad client.
    REALTIME_ALARMS = {
        "connect-server-errors": ("ConnectServerError", 0),
        "subscribe-server-errors": ("SubscribeServerError", 0),
        "publish-errors": ("PublishDataMessageServerError", 0),
        "connect-client-errors": ("ConnectClientError", 100),
        "subscribe-client-errors": ("SubscribeClientError", 100),
    }

    def _alarms(self, api: aws.appsync.GraphQLApi) -> None:
        # Server-side failures (resolver or data source errors AppSync reports as 5XX) for three
        # of five minutes: the chat is failing for people, not one bad client (those are 4XX).
        alarms = {"5xx-errors": single_metric("AWS/AppSync", "5XXError", "Sum", {"GraphQLAPIId": api.id})}
        for suffix, (metric, per_minute) in self.REALTIME_ALARMS.items():
            alarms[suffix] = single_metric("AWS/AppSync", metric, "Sum", {"GraphQLAPIId": api.id},
                                           threshold=per_minute)
        for suffix, alarm in alarms.items():
            opts = pulumi.ResourceOptions(parent=self)
            alarm_args = apply_transform(self._args.transform, "alarms", {
                "name": f"{self._args.physical_name}-{suffix}",
                **alarm,
                "evaluation_periods": 5,
                "datapoints_to_alarm": 3,
                **notify(self._args.alarm_topic_arn),
                "tags": self._args.tags,
            }, opts)
            aws.cloudwatch.MetricAlarm(f"{self._name}-{suffix}", **alarm_args, opts=opts)

    def _service_role(self, suffix: str, role: str) -> aws.iam.Role:
        """A role only AppSync can assume."""
        opts = pulumi.ResourceOptions(parent=self)
        args = apply_transform(
            self._args.transform,
            role,
            {
                "name_prefix": role_name_prefix(self._args.physical_name, suffix),
                "assume_role_policy": pulumi.Output.from_input(self._args.table_arn).apply(appsync_trust_policy),
                "tags": self._args.tags,
            },
            opts,
        )
        return aws.iam.Role(f"{self._name}-{suffix}-role", **args, opts=opts)

    def _logging(self, api: aws.appsync.GraphQLApi, log_role: aws.iam.Role) -> None:
        # The group AppSync writes to, created here so it has a retention and tags.
        group_opts = pulumi.ResourceOptions(parent=self)
        group_args = apply_transform(
            self._args.transform,
            "logGroup",
            {
                "name": api.id.apply(lambda api_id: f"/aws/appsync/apis/{api_id}"),
                "retention_in_days": self._args.log_retention_days,
                "tags": self._args.tags,
            },
            group_opts,
        )
        group = aws.cloudwatch.LogGroup(f"{self._name}-logs", **group_args, opts=group_opts)
        aws.iam.RolePolicy(
            f"{self._name}-log-policy",
            role=log_role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _data_sources(self, api: aws.appsync.GraphQLApi) -> dict[str, aws.appsync.DataSource]:
        a = self._args
        created: dict[str, aws.appsync.DataSource] = {}
        # AppSync rejects concurrent changes on one API (ConcurrentModificationException) and the
        # provider retries that only for resolvers: every data source waits for the previous.
        previous: pulumi.Resource = api
        for source in self._manifest.data_sources:
            ds_args: dict = {"api_id": api.id, "name": source.name, "type": source.type}
            depends: list[pulumi.Resource] = [previous]
            if source.type == "AWS_LAMBDA" and source.optional and not a.message_review_function_arn:
                ds_args["type"] = "NONE"
            elif source.type == "AWS_LAMBDA":
                role = self._service_role("review", "dataSourceRole")  # name_prefix <= 38 characters
                review_policy = lambda_invoke_policy(a.message_review_function_arn)
                depends.append(self._role_policy(source.name, role, review_policy))
                ds_args["service_role_arn"] = role.arn
                ds_args["lambda_config"] = {"function_arn": a.message_review_function_arn}
            elif source.type == "HTTP":
                role = self._service_role("events", "dataSourceRole")
                policy = api.arn.apply(lambda arn, fields=source.graphql_fields: graphql_fields_policy(arn, fields))
                depends.append(self._role_policy(source.name, role, policy))
                ds_args["service_role_arn"] = role.arn
                ds_args["http_config"] = {
                    # The API's own origin: the function's resourcePath is /graphql.
                    "endpoint": api.uris.apply(lambda uris: uris["GRAPHQL"].rsplit("/graphql", 1)[0]),
                    "authorization_config": {
                        "authorization_type": "AWS_IAM",
                        "aws_iam_config": {"signing_region": a.region, "signing_service_name": "appsync"},
                    },
                }
            elif source.type == "AMAZON_DYNAMODB":
                role = self._service_role(f"{source.name.lower()}", "dataSourceRole")
                policy = pulumi.Output.from_input(a.table_arn).apply(
                    lambda arn, actions=source.iam_actions: table_access_policy(arn, actions)
                )
                depends.append(self._role_policy(source.name, role, policy))
                ds_args["service_role_arn"] = role.arn
                ds_args["dynamodb_config"] = {"table_name": a.table_name, "region": a.region}
            opts = pulumi.ResourceOptions(parent=self, depends_on=depends)
            ds_args = apply_transform(a.transform, "dataSource", ds_args, opts)
            created[source.name] = previous = aws.appsync.DataSource(
                f"{self._name}-ds-{source.name.lower()}", **ds_args, opts=opts
            )
        return created

    def _role_policy(self, source_name: str, role: aws.iam.Role, policy: pulumi.Input[str]) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{self._name}-{source_name.lower()}-policy",
            role=role.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _functions_and_resolvers(self, api, data_sources) -> None:
        a = self._args
        manifest = self._manifest
        env = pulumi.Output.from_input(a.table_name).apply(
            lambda table_name: resolver_environment(table_name, a.retention_seconds, a.oidc, a.per_message_rooms,
                                                    a.message_review)
        )
        # Functions and resolvers continue the chain the data sources started (see _data_sources).
        previous: pulumi.Resource = list(data_sources.values())[-1] if data_sources else api
        functions: dict[str, aws.appsync.Function] = {}
        for function in manifest.functions:
            opts = pulumi.ResourceOptions(parent=self, depends_on=[previous])
            fn_args = apply_transform(
                a.transform,
                "function",
                {
                    "api_id": api.id,
                    "name": function.name,
                    "data_source": data_sources[function.data_source].name,
                    "code": env.apply(lambda e, f=function.file: manifest.render(f, e)),
                    "runtime": APPSYNC_JS_RUNTIME,
                },
                opts,
            )
            functions[function.name] = previous = aws.appsync.Function(
                f"{self._name}-fn-{function.name}", **fn_args, opts=opts
            )
        for resolver in manifest.resolvers:
            res_args: dict = {
                "api_id": api.id,
                "type": resolver.type,
                "field": resolver.field,
                "kind": resolver.kind,
                "code": env.apply(lambda e, f=resolver.file: manifest.render(f, e)),
                "runtime": APPSYNC_JS_RUNTIME,
            }
            if resolver.kind == "UNIT":
                res_args["data_source"] = data_sources[resolver.data_source].name
            else:
                res_args["pipeline_config"] = {
                    "functions": [functions[name].function_id for name in resolver.functions]
                }
            opts = pulumi.ResourceOptions(parent=self, depends_on=[previous])
            res_args = apply_transform(a.transform, "resolver", res_args, opts)
            previous = aws.appsync.Resolver(
                f"{self._name}-{resolver.type.lower()}-{resolver.field}", **res_args, opts=opts
            )


def table_access_policy(table_arn: str, actions: tuple[str, ...]) -> str:
    """Only the manifest's item actions, only on this table and its indexes."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": sorted(actions),
                    "Resource": [table_arn, f"{table_arn}/index/*"],
                }
            ],
        }
    )


def appsync_trust_policy(table_arn: str) -> str:
    """AppSync may assume the role only for APIs of this stack's account and region (confused
    deputy): AppSync sets aws:SourceAccount and aws:SourceArn when it assumes a service role.
    The account, partition and region are read from the table's ARN."""
    partition, region, account = table_arn.split(":")[1], table_arn.split(":")[3], table_arn.split(":")[4]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "appsync.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:appsync:{region}:{account}:apis/*"},
            },
        }],
    })


def graphql_fields_policy(api_arn: str, fields: tuple[str, ...]) -> str:
    """appsync:GraphQL on exactly these fields ("Type.field") of this API."""
    resources = [f"{api_arn}/types/{field.split('.')[0]}/fields/{field.split('.')[1]}" for field in fields]
    return json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": ["appsync:GraphQL"], "Resource": sorted(resources)}]}
    )


def lambda_invoke_policy(function_arn: str) -> str:
    """lambda:InvokeFunction on the one review function."""
    return json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [function_arn]}]}
    )
