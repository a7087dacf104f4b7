"""The event chat policy pack's rules (Pulumi CrossGuard), importable without starting a pack.

`policy/__main__.py` builds the `PolicyPack` from `POLICIES`; `chatstack.policy.runner`
runs the same objects offline on the resources the program registers under mocks.

This module depends on the standard library and `pulumi_policy` only, so the pack runs
in a virtualenv without pulumi-aws.

Props are read through `collections.abc` types: the engine hands rules read-only proxies
(`Mapping`/`Sequence`, raising `UnknownValueError` for values unknown during preview),
not dicts and lists.

"Production" is read from the `environment` tag every taggable resource carries (see
`components.event_chat_stack.event_tags`): it is visible to the pack both under
`pulumi preview --policy-pack` and offline, whereas stack config is not passed to policy
packs. Anything other than `development` -- including a missing tag -- counts as
production (fail closed); `event-tags` reports the missing tag itself. Resources that
take no tags (app clients) inherit the environment of the user pool they depend on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

PACK_NAME = "chatstack-event-chat"

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

TABLE = "aws:dynamodb/table:Table"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
EVENT_API = "aws:appsync/api:Api"
CHANNEL_NAMESPACE = "aws:appsync/channelNamespace:ChannelNamespace"
RESOLVER = "aws:appsync/resolver:Resolver"
FUNCTION = "aws:appsync/function:Function"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
# The `purpose` tag of the stack's chat archive bucket (components/chat_archive.py ARCHIVE_PURPOSE).
ARCHIVE_PURPOSE = "chat-archive"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
RESPONSE_HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"

# What the batched fan-out consumer may do beyond logging and dead-lettering.
STREAM_READ_ACTIONS = frozenset(
    f"dynamodb:{a}".lower() for a in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
)
CONSUMER_SUPPORT_ACTIONS = frozenset({"logs:createlogstream", "logs:putlogevents", "sqs:sendmessage"})

# AWS resource types in (or plausibly added to) an event stack that accept `tags`.
# tests/chatstack/test_policy_rules.py checks this against pulumi_aws's signatures.
TAGGABLE_TYPES = frozenset({
    TABLE, USER_POOL, GRAPHQL_API, ROLE, SCALING_TARGET,
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:kms/key:Key",
    "aws:lambda/function:Function",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:glue/catalogDatabase:CatalogDatabase",
    S3_BUCKET,
    S3_OBJECT,
    DISTRIBUTION,
})
EVENT_TAGS = ("event", "environment", "owner")

MIN_PASSWORD_LENGTH = 12
MAX_QUERY_DEPTH = 75  # AppSync's own ceiling; 0 means "no limit"

# What an AppSync DynamoDB data source may do: read and write items, nothing else.
DYNAMODB_ITEM_ACTIONS = frozenset(
    f"dynamodb:{action}".lower()
    for action in (
        "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
        "ConditionCheckItem",
    )
)
PASSWORD_AUTH_FLOWS = frozenset({"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"})

# CloudFront viewer security policies of at least TLS 1.2 (CloudFront developer guide).
TLS_1_2_POLICIES = frozenset({"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"})
HTTPS_VIEWER_POLICIES = frozenset({"redirect-to-https", "https-only"})
S3_PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})


# ---------------------------------------------------------------------------- helpers


def get(value: Any, *path: str, default: Any = None) -> Any:
    """`value[path[0]][path[1]]...`, or `default` where a level is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def as_list(value: Any) -> list[Any]:
    """A scalar, list or list proxy as a list (None: empty)."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def environment_of(props: Mapping[str, Any]) -> str | None:
    tags = get(props, "tags")
    value = get(tags, "environment") if isinstance(tags, Mapping) else None
    return value if isinstance(value, str) and value else None


def is_production(props: Mapping[str, Any]) -> bool:
    """Fail closed: only an explicit `environment: development` tag relaxes production rules."""
    return environment_of(props) != "development"


def _label(kind: str, name: str) -> str:
    return f"{kind} '{name}'"


def _resource_rule(
    name: str,
    level: EnforcementLevel,
    description: str,
    types: Iterable[str],
    check: Callable[[ResourceValidationArgs], Iterable[str]],
) -> ResourceValidationPolicy:
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in wanted:
            for message in check(args):
                report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, enforcement_level=level, validate=validate)


def _stack_rule(
    name: str,
    level: EnforcementLevel,
    description: str,
    check: Callable[[list[PolicyResource]], Iterable[tuple[str, str | None]]],
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(list(args.resources)):
            report_violation(message, urn)

    return StackValidationPolicy(name=name, description=description, enforcement_level=level, validate=validate)


def _of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


# ---------------------------------------------------------------------------- AppSync Events


def _event_modes(*lists: Any) -> list[str]:
    return [str(get(mode, "authType")) for modes in lists for mode in as_list(modes)]


def _events_logging(args: ResourceValidationArgs) -> Iterable[str]:
    log = get(args.props, "eventConfig", "logConfig")
    level = get(log, "logLevel")
    if not get(log, "cloudwatchLogsRoleArn") or level in (None, "NONE"):
        yield (f"{_label('AppSync Event API', args.name)} has logging off (logLevel {level or 'unset'}): refused "
               "subscribes and failed publishes during the event would leave no trace. Fix: chatstack:logLevel: "
               "ERROR (or higher); components/chat_events.py sets eventConfig.logConfig with a CloudWatch logs role.")


def _events_no_api_key(args: ResourceValidationArgs) -> Iterable[str]:
    config = get(args.props, "eventConfig")
    modes = _event_modes(get(config, "authProviders"), get(config, "connectionAuthModes"),
                         get(config, "defaultPublishAuthModes"), get(config, "defaultSubscribeAuthModes"))
    if args.resource_type == CHANNEL_NAMESPACE:
        modes = _event_modes(get(args.props, "publishAuthModes"), get(args.props, "subscribeAuthModes"))
    if "API_KEY" in modes:
        kind = "AppSync Event API" if args.resource_type == EVENT_API else "AppSync channel namespace"
        yield (f"{_label(kind, args.name)} accepts API_KEY: a shared secret shipped in every client, which "
               "anyone can copy to connect, subscribe or publish. Fix: remove the API_KEY auth mode; attendees use "
               "their Cognito or OIDC token, the fan-out consumer IAM.")


def _events_iam_only_publish(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    fix = ("Fix: publishAuthModes (and the API's defaultPublishAuthModes) = [AWS_IAM]: only the stack's fan-out "
           "consumer publishes; attendees subscribe (components/chat_events.py).")
    for api in _of_type(resources, EVENT_API):
        modes = _event_modes(get(api.props, "eventConfig", "defaultPublishAuthModes"))
        if modes != ["AWS_IAM"]:
            yield (f"{_label('AppSync Event API', api.name)} lets {modes or 'its defaults'} publish, not IAM alone: "
                   f"a signed-in attendee could publish fake messages to a room. {fix}"), api.urn
    for namespace in _of_type(resources, CHANNEL_NAMESPACE):
        modes = _event_modes(get(namespace.props, "publishAuthModes"))
        if modes and modes != ["AWS_IAM"]:
            yield (f"{_label('AppSync channel namespace', namespace.name)} lets {modes} publish, not IAM alone: "
                   f"a signed-in attendee could publish fake messages to a room. {fix}"), namespace.urn


# ---------------------------------------------------------------------------- DynamoDB


def _pitr(args: ResourceValidationArgs) -> Iterable[str]:
    if get(args.props, "pointInTimeRecovery", "enabled") is not True:
        yield (f"{_label('DynamoDB table', args.name)} has point-in-time recovery off: a bad deploy or client can "
               "destroy chat history for good. Fix: set chatstack:pointInTimeRecovery: true "
               "(pointInTimeRecovery.enabled = true).")


def _sse(args: ResourceValidationArgs) -> Iterable[str]:
    if get(args.props, "serverSideEncryption", "enabled") is not True:
        yield (f"{_label('DynamoDB table', args.name)} does not use KMS server-side encryption. Fix: set "
               "serverSideEncryption.enabled = true (AWS-managed or customer KMS key).")


def _table_deletion_protection(args: ResourceValidationArgs) -> Iterable[str]:
    if is_production(args.props) and get(args.props, "deletionProtectionEnabled") is not True:
        yield (f"{_label('DynamoDB table', args.name)} is in production without deletion protection. Fix: remove "
               "chatstack:deletionProtection: false (production defaults to on) or set "
               "deletionProtectionEnabled = true.")


def _ttl(args: ResourceValidationArgs) -> Iterable[str]:
    ttl = get(args.props, "ttl")
    if get(ttl, "enabled") is not True or not get(ttl, "attributeName"):
        yield (f"{_label('DynamoDB table', args.name)} has no TTL: chat rows would be kept forever whatever the "
               "retention setting. Fix: ttl = {attributeName: 'expiresAt', enabled: true}.")


def billing_mode(props: Mapping[str, Any]) -> str:
    # The provider's default is PROVISIONED.
    return get(props, "billingMode") or "PROVISIONED"


def _on_demand_limits(args: ResourceValidationArgs) -> Iterable[str]:
    if billing_mode(args.props) != "PAY_PER_REQUEST":
        return
    limits = get(args.props, "onDemandThroughput")
    missing = [key for key in ("maxReadRequestUnits", "maxWriteRequestUnits") if not get(limits, key)]
    if missing:
        yield (f"{_label('DynamoDB table', args.name)} is on-demand with no ceiling ({', '.join(missing)} unset): "
               "a runaway client can run up an unbounded bill. Fix: set onDemandThroughput "
               "(ChatTableArgs.max_read_request_units / max_write_request_units).")


def _table_autoscaling(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    targets = {(get(t.props, "resourceId"), get(t.props, "scalableDimension"))
               for t in _of_type(resources, SCALING_TARGET) if get(t.props, "serviceNamespace") == "dynamodb"}
    policies = {(get(p.props, "resourceId"), get(p.props, "scalableDimension"))
                for p in _of_type(resources, SCALING_POLICY) if get(p.props, "serviceNamespace") == "dynamodb"}
    for table in _of_type(resources, TABLE):
        if billing_mode(table.props) != "PROVISIONED":
            continue
        table_name = get(table.props, "name") or table.name
        wanted = [(f"table/{table_name}", "table", f"table {table_name}")]
        for index in as_list(get(table.props, "globalSecondaryIndexes")):
            index_name = get(index, "name")
            wanted.append((f"table/{table_name}/index/{index_name}", "index", f"index {index_name}"))
        for resource_id, level, what in wanted:
            for dimension in ("Read", "Write"):
                key = (resource_id, f"dynamodb:{level}:{dimension}CapacityUnits")
                absent = [kind for kind, present in (("target", targets), ("policy", policies)) if key not in present]
                if absent:
                    yield (f"{_label('DynamoDB table', table.name)} is PROVISIONED but {what} has no "
                           f"{dimension.lower()} autoscaling {' or '.join(absent)} ({key[1]}); fixed capacity "
                           "throttles a live event (a throttled index throttles writes to the table). Fix: add "
                           "aws.appautoscaling Target + TargetTrackingScaling Policy for it, or use "
                           "chatstack:billingMode: PAY_PER_REQUEST.", table.urn)


# ---------------------------------------------------------------------------- AppSync


def _default_auth(args: ResourceValidationArgs) -> Iterable[str]:
    if not is_production(args.props):
        return
    default = get(args.props, "authenticationType")
    if default != "AMAZON_COGNITO_USER_POOLS":
        yield (f"{_label('AppSync API', args.name)} is in production with default auth {default}: every "
               "unauthenticated caller would be let in. Fix: chatstack:defaultAuth: AMAZON_COGNITO_USER_POOLS.")
    for provider in as_list(get(args.props, "additionalAuthenticationProviders")):
        if get(provider, "authenticationType") == "API_KEY":
            yield (f"{_label('AppSync API', args.name)} is in production with an API_KEY additional auth "
                   "provider. Fix: remove it; production callers sign in with Cognito (or IAM for services).")


def _js_runtime(args: ResourceValidationArgs) -> Iterable[str]:
    kind = "AppSync resolver" if args.resource_type == RESOLVER else "AppSync function"
    runtime = get(args.props, "runtime", "name")
    if runtime != "APPSYNC_JS" or not get(args.props, "code"):
        yield (f"{_label(kind, args.name)} uses runtime {runtime or 'VTL (none set)'}"
               f"{'' if get(args.props, 'code') else ' without code'}; this project only ships APPSYNC_JS code "
               "that is linted and tested locally. Fix: runtime = {name: 'APPSYNC_JS', runtimeVersion: '1.0.0'} "
               "and code from resolvers/manifest.yaml.")


def _logging(args: ResourceValidationArgs) -> Iterable[str]:
    log = get(args.props, "logConfig")
    level = get(log, "fieldLogLevel")
    if not get(log, "cloudwatchLogsRoleArn") or level in (None, "NONE"):
        yield (f"{_label('AppSync API', args.name)} has logging off (fieldLogLevel {level or 'unset'}): resolver "
               "errors during the event would leave no trace. Fix: chatstack:logLevel: ERROR (or higher) with a "
               "CloudWatch logs role.")


def _verbose_logs(args: ResourceValidationArgs) -> Iterable[str]:
    if is_production(args.props) and get(args.props, "logConfig", "excludeVerboseContent") is not True:
        yield (f"{_label('AppSync API', args.name)} is in production and logs verbose content (request headers, "
               "tokens and message bodies). Fix: logConfig.excludeVerboseContent = true.")


def _introspection(args: ResourceValidationArgs) -> Iterable[str]:
    # Absent means AppSync's default, ENABLED.
    if is_production(args.props) and get(args.props, "introspectionConfig") != "DISABLED":
        yield (f"{_label('AppSync API', args.name)} is in production with introspection enabled: anyone can "
               "download the schema. Fix: introspectionConfig = 'DISABLED'.")


def _query_depth(args: ResourceValidationArgs) -> Iterable[str]:
    depth = get(args.props, "queryDepthLimit")
    if not isinstance(depth, int | float) or not 1 <= depth <= MAX_QUERY_DEPTH:
        yield (f"{_label('AppSync API', args.name)} has no query depth limit (queryDepthLimit {depth}): nested "
               "queries can fan out without bound. Fix: chatstack:queryDepthLimit between 1 and 75 (default 8).")


# ---------------------------------------------------------------------------- IAM


def _policy_documents(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, Mapping):
        yield value


def _statements(document: Mapping[str, Any]) -> list[Any]:
    return as_list(get(document, "Statement"))


def _tail(arn_or_name: Any) -> str:
    return str(arn_or_name or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _table_arn_pattern(table: PolicyResource) -> re.Pattern[str]:
    name = re.escape(str(get(table.props, "name") or table.name))
    arn = get(table.props, "arn")
    base = re.escape(arn) if isinstance(arn, str) and arn else (
        rf"arn:aws(?:-[a-z]+)*:dynamodb:[a-z]{{2}}(?:-[a-z]+)+-\d:\d{{12}}:table/{name}"
    )
    return re.compile(rf"^{base}(?:/index/(?:\*|[A-Za-z0-9_.-]+))?$")


def _datasource_role_policy(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    roles = {_tail(get(ds.props, "serviceRoleArn")) for ds in _of_type(resources, DATA_SOURCE)
             if get(ds.props, "type") == "AMAZON_DYNAMODB" and get(ds.props, "serviceRoleArn")}
    patterns = [_table_arn_pattern(t) for t in _of_type(resources, TABLE)]
    fix = ("Fix: grant only dynamodb item actions (GetItem, Query, PutItem, UpdateItem, DeleteItem, "
           "ConditionCheckItem, Batch*Item, Scan) on this stack's table ARN and '<table ARN>/index/*' "
           "(resolvers/manifest.yaml iamActions).")

    documents: list[tuple[PolicyResource, Mapping[str, Any]]] = []
    for policy in _of_type(resources, ROLE_POLICY):
        if _tail(get(policy.props, "role")) in roles:
            documents += [(policy, doc) for doc in _policy_documents(get(policy.props, "policy"))]
    for role in _of_type(resources, ROLE):
        role_name = get(role.props, "name") or ""
        prefix = get(role.props, "namePrefix") or ""
        if not any(r == role_name or (prefix and r.startswith(prefix)) for r in roles):
            continue
        for inline in as_list(get(role.props, "inlinePolicies")):
            documents += [(role, doc) for doc in _policy_documents(get(inline, "policy"))]
        if as_list(get(role.props, "managedPolicyArns")):
            yield (f"IAM role '{role.name}' of an AppSync data source has managed policies attached; they are not "
                   f"scoped to this stack's table. {fix}", role.urn)
    for attachment in _of_type(resources, ROLE_POLICY_ATTACHMENT):
        if _tail(get(attachment.props, "role")) in roles:
            yield (f"IAM role policy attachment '{attachment.name}' attaches "
                   f"{get(attachment.props, 'policyArn')} to an AppSync data-source role; managed policies are not "
                   f"scoped to this stack's table. {fix}", attachment.urn)

    for owner, document in documents:
        for statement in _statements(document):
            if get(statement, "Effect") != "Allow":
                continue
            where = f"IAM policy of '{owner.name}' (AppSync data-source role)"
            if get(statement, "NotAction") is not None or get(statement, "NotResource") is not None:
                yield f"{where} uses NotAction/NotResource in an Allow, granting nearly everything. {fix}", owner.urn
            for action in as_list(get(statement, "Action")):
                text = str(action)
                if "*" in text or "?" in text or text.lower() not in DYNAMODB_ITEM_ACTIONS:
                    yield f"{where} allows '{text}', which is not a DynamoDB item action. {fix}", owner.urn
            for resource in as_list(get(statement, "Resource")):
                text = str(resource)
                if not any(p.match(text) for p in patterns):
                    yield (f"{where} allows access to '{text}', which is not this stack's table or one of its "
                           f"indexes. {fix}", owner.urn)


# ---------------------------------------------------------------------------- batched fan-out


def _stream_consumers(resources: list[PolicyResource]) -> list[tuple[PolicyResource, PolicyResource]]:
    """(event source mapping, function) pairs whose source is a DynamoDB stream."""
    functions = _of_type(resources, LAMBDA_FUNCTION)
    pairs = []
    for mapping in _of_type(resources, EVENT_SOURCE_MAPPING):
        if ":dynamodb:" not in str(get(mapping.props, "eventSourceArn") or ""):
            continue
        target = str(get(mapping.props, "functionName") or "")
        for function in functions:
            name = str(get(function.props, "name") or function.name)
            if target == name or target.endswith(f":function:{name}"):
                pairs.append((mapping, function))
    return pairs


def _consumer_role_policy(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    roles = {_tail(get(function.props, "role")) for _, function in _stream_consumers(resources)}
    tables = [str(get(t.props, "arn") or "") for t in _of_type(resources, TABLE)]
    apis = [str(get(a.props, "arn") or "") for a in _of_type(resources, GRAPHQL_API)]
    allowed_streams = {f"{arn}/stream/*" for arn in tables if arn}
    allowed_fields = {f"{arn}/types/Mutation/fields/publishBatch" for arn in apis if arn}
    event_apis = [str(get(a.props, "apiArn") or "") for a in _of_type(resources, EVENT_API)]
    if event_apis:  # events stacks: pack before publishing (Query.pendingBatch), publish to the rooms namespace
        allowed_fields |= {f"{arn}/types/Query/fields/pendingBatch" for arn in apis if arn}
    allowed_channels = {f"{arn}/channelNamespace/rooms{tail}" for arn in event_apis if arn for tail in ("", "/*")}
    # The archive consumer writes objects into this stack's archive bucket, nowhere else.
    allowed_objects = {f"{get(b.props, 'arn')}/*" for b in _of_type(resources, S3_BUCKET)
                       if get(b.props, "tags", "purpose") == ARCHIVE_PURPOSE and get(b.props, "arn")}
    fix = ("Fix: the consumer may read only this stack's table stream ('<table ARN>/stream/*'), call only "
           "'<API ARN>/types/Mutation/fields/publishBatch' and put objects only into this stack's archive bucket "
           "('<bucket ARN>/*') (components/batch_fanout.py consumer_policy, components/chat_archive.py).")
    for policy in _of_type(resources, ROLE_POLICY):
        role = _tail(get(policy.props, "role"))
        if not role or role not in roles:
            continue
        for document in _policy_documents(get(policy.props, "policy")):
            for statement in _statements(document):
                if get(statement, "Effect") != "Allow":
                    continue
                where = f"IAM policy '{policy.name}' (stream consumer role)"
                if get(statement, "NotAction") is not None or get(statement, "NotResource") is not None:
                    yield f"{where} uses NotAction/NotResource in an Allow. {fix}", policy.urn
                    continue
                actions = [str(a).lower() for a in as_list(get(statement, "Action"))]
                resources_ = [str(r) for r in as_list(get(statement, "Resource"))]
                for action in actions:
                    if "*" in action:
                        yield f"{where} allows wildcard action '{action}'. {fix}", policy.urn
                    elif action in STREAM_READ_ACTIONS:
                        stray = [r for r in resources_ if r not in allowed_streams]
                        if stray:
                            yield f"{where} reads streams {stray}, not this stack's table stream. {fix}", policy.urn
                    elif action == "appsync:graphql":
                        stray = [r for r in resources_ if r not in allowed_fields]
                        if stray:
                            yield f"{where} may call {stray}, not only publishBatch of this API. {fix}", policy.urn
                    elif action == "appsync:eventpublish":
                        stray = [r for r in resources_ if r not in allowed_channels]
                        if stray:
                            yield (f"{where} may publish to {stray}, not only this stack's rooms namespace. {fix}",
                                   policy.urn)
                    elif action == "s3:putobject":
                        stray = [r for r in resources_ if r not in allowed_objects]
                        if stray:
                            yield f"{where} may write {stray}, not only this stack's archive. {fix}", policy.urn
                    elif action in CONSUMER_SUPPORT_ACTIONS:
                        if any(r == "*" for r in resources_):
                            yield f"{where} allows '{action}' on every resource. {fix}", policy.urn
                    else:
                        yield f"{where} allows '{action}', which the stream consumer never needs. {fix}", policy.urn


def _consumer_delivery(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    for mapping, function in _stream_consumers(resources):
        where = f"Event source mapping '{mapping.name}' (stream consumer '{function.name}')"
        if not get(mapping.props, "destinationConfig", "onFailure", "destinationArn"):
            yield (f"{where} has no on-failure destination: records that exhaust their retries vanish. Fix: "
                   "destinationConfig.onFailure to an SQS queue.", mapping.urn)
        if get(mapping.props, "bisectBatchOnFunctionError") is not True:
            yield (f"{where} does not bisect failing batches: one poison record blocks the room. Fix: "
                   "bisectBatchOnFunctionError = true.", mapping.urn)
        retries = get(mapping.props, "maximumRetryAttempts")
        age = get(mapping.props, "maximumRecordAgeInSeconds")
        if retries is None or retries < 0 or age is None or age < 0:
            yield (f"{where} retries forever (maximumRetryAttempts/maximumRecordAgeInSeconds unset or -1): a "
                   "stuck record stops the shard for 24 h. Fix: bound both.", mapping.urn)
        if "ReportBatchItemFailures" not in [str(t) for t in as_list(get(mapping.props, "functionResponseTypes"))]:
            yield (f"{where} does not use ReportBatchItemFailures: a failure re-delivers the whole batch. Fix: "
                   "functionResponseTypes = ['ReportBatchItemFailures'].", mapping.urn)
        if (get(mapping.props, "parallelizationFactor") or 1) != 1:
            yield (f"{where} processes a shard with several pollers, so a room's messages can go out of order. "
                   "Fix: parallelizationFactor = 1.", mapping.urn)


def _consumer_alarms(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    alarms = _of_type(resources, METRIC_ALARM)
    for _, function in _stream_consumers(resources):
        name = str(get(function.props, "name") or function.name)
        watched = {str(get(a.props, "metricName")) for a in alarms
                   if get(a.props, "namespace") == "AWS/Lambda" and get(a.props, "dimensions", "FunctionName") == name}
        for metric in ("IteratorAge", "Errors"):
            if metric not in watched:
                yield (f"Stream consumer '{function.name}' has no CloudWatch alarm on {metric}: late or failing "
                       "fan-out goes unnoticed during the event. Fix: BatchFanout's alarms.", function.urn)


SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _alarm_recipients(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    """A production alarm topic nobody subscribed to: every alarm fires into the void."""
    alarms = _of_type(resources, METRIC_ALARM)
    subscriptions = _of_type(resources, SNS_SUBSCRIPTION)
    for topic in _of_type(resources, SNS_TOPIC):
        if not alarms or not is_production(topic.props):
            continue
        arn = get(topic.props, "arn")
        mine = [s for s in subscriptions if arn is None or get(s.props, "topic") in (arn, None)]
        if not mine:
            yield (f"{_label('SNS topic', topic.name)} receives the stack's {len(alarms)} alarms but has no "
                   "subscription: in production an alarm must reach a person. Fix: set chatstack:alarmEmails "
                   "and/or chatstack:alarmHttpsEndpoints (a pager or chat webhook).", topic.urn)


def _alarm_notifies(args: ResourceValidationArgs) -> Iterable[str]:
    if not [action for action in as_list(get(args.props, "alarmActions")) if action]:
        yield (f"{_label('CloudWatch alarm', args.name)} notifies nobody (no alarmActions): it can fire during the "
               "event unseen. Fix: alarm_actions = [the stack's alarm topic ARN] (components.alarm_topic).")


# ---------------------------------------------------------------------------- IAM callers of the API

# Fields only Cognito moderators may call: never reachable with IAM credentials.
MODERATION_FIELDS = frozenset({"deleteMessage", "banUser", "unbanUser", "updateRoomSettings", "getModerationLog"})
_SCHEMA_STRING = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_SCHEMA_TYPE = re.compile(r"\btype\s+(\w+)([^{]*)\{([^}]*)\}")
_SCHEMA_FIELD = re.compile(r"(?m)^\s*(\w+)\s*(?=[(:])")
_FIELD_ARN = re.compile(
    r"^(?P<api>arn:aws[a-z-]*:appsync:[^:]+:\d*:apis/[^/*]+)/types/(?P<type>\w+)/fields/(?P<field>\w+)$")


def iam_fields(schema: str) -> set[tuple[str, str]]:
    """(type, field) pairs an AWS_IAM caller may reach: the field, or its type, has @aws_iam."""
    text = _SCHEMA_STRING.sub("", schema)
    reachable: set[tuple[str, str]] = set()
    for type_name, header, body in _SCHEMA_TYPE.findall(text):
        # Each field's text runs to the next field's name (arguments and directives may wrap).
        starts = [m for m in _SCHEMA_FIELD.finditer(body) if body[:m.start()].count("(") == body[:m.start()].count(")")]
        for index, match in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
            if "@aws_iam" in header or "@aws_iam" in body[match.start():end]:
                reachable.add((type_name, match.group(1)))
    return reachable


def _appsync_iam_grants(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    apis = [(str(get(a.props, "arn") or ""), iam_fields(str(get(a.props, "schema") or "")), a)
            for a in _of_type(resources, GRAPHQL_API)]
    fix = ("Fix: grant appsync:GraphQL only on '<API ARN>/types/<Type>/fields/<field>' of this API's @aws_iam "
           "backend fields (publishBatch, publishRoomEvent); moderation fields stay Cognito-moderators only.")
    for _, reachable, api in apis:
        for type_name, field_name in sorted(reachable):
            if field_name in MODERATION_FIELDS:
                yield (f"AppSync API '{api.name}' lets IAM callers reach the moderation field "
                       f"{type_name}.{field_name} (@aws_iam): any role with appsync:GraphQL could moderate. {fix}",
                       api.urn)
    backend = {(t, f) for _, reachable, _ in apis for t, f in reachable if f not in MODERATION_FIELDS}
    known_arns = {arn for arn, _, _ in apis if arn}

    def allowed(resource: str) -> bool:
        # The API's ARN is an output: unknown to the engine before the API exists, so then
        # any API of this account is accepted, still only on named IAM backend fields.
        match = _FIELD_ARN.match(resource)
        if not match or (match["type"], match["field"]) not in backend:
            return False
        return not known_arns or match["api"] in known_arns

    documents: list[tuple[PolicyResource, Mapping[str, Any]]] = []
    for policy in _of_type(resources, ROLE_POLICY):
        documents += [(policy, doc) for doc in _policy_documents(get(policy.props, "policy"))]
    for role in _of_type(resources, ROLE):
        for inline in as_list(get(role.props, "inlinePolicies")):
            documents += [(role, doc) for doc in _policy_documents(get(inline, "policy"))]
    for owner, document in documents:
        for statement in _statements(document):
            actions = [str(a).lower() for a in as_list(get(statement, "Action"))]
            if get(statement, "Effect") != "Allow" or not any(a in ("appsync:graphql", "appsync:*", "*")
                                                              for a in actions):
                continue
            stray = [str(r) for r in as_list(get(statement, "Resource")) if not allowed(str(r))]
            if stray:
                yield (f"IAM policy of '{owner.name}' allows appsync:GraphQL on {stray}, not only named IAM "
                       f"backend fields of this stack's API. {fix}", owner.urn)


# ---------------------------------------------------------------------------- Cognito


def _password_policy(args: ResourceValidationArgs) -> Iterable[str]:
    policy = get(args.props, "passwordPolicy")
    length = get(policy, "minimumLength")
    problems = []
    if not isinstance(length, int | float) or length < MIN_PASSWORD_LENGTH:
        problems.append(f"minimumLength {length or 'unset (Cognito default 8)'} < {MIN_PASSWORD_LENGTH}")
    for key in ("requireLowercase", "requireUppercase", "requireNumbers"):
        if get(policy, key) is not True:
            problems.append(f"{key} not true")
    if problems:
        yield (f"{_label('Cognito user pool', args.name)} has a weak password policy ({'; '.join(problems)}). Fix: "
               f"passwordPolicy with minimumLength >= {MIN_PASSWORD_LENGTH} and lower case, upper case and numbers "
               "required.")


def _pool_deletion_protection(args: ResourceValidationArgs) -> Iterable[str]:
    if is_production(args.props) and get(args.props, "deletionProtection") != "ACTIVE":
        yield (f"{_label('Cognito user pool', args.name)} is in production without deletion protection: deleting "
               "it deletes every participant's account. Fix: deletionProtection = 'ACTIVE' (production default; "
               "do not set chatstack:deletionProtection: false).")


def _self_sign_up_email(args: ResourceValidationArgs) -> Iterable[str]:
    if not is_production(args.props):
        return
    if get(args.props, "adminCreateUserConfig", "allowAdminCreateUserOnly") is True:
        return
    if get(args.props, "emailConfiguration", "emailSendingAccount") != "DEVELOPER" or not get(
            args.props, "emailConfiguration", "sourceArn"):
        yield (f"{_label('Cognito user pool', args.name)} is in production, lets users sign themselves up and sends "
               "their verification email with Cognito's built-in sender (50 emails a day per account): sign-ups "
               "beyond that cannot be confirmed. Fix: chatstack:sesEmailIdentityArn (SES, DEVELOPER), or "
               "chatstack:selfSignUp: false (admin-created staff; attendees via chatstack:attendeeAuth: oidc).")


def _staff_pool_mfa(args: ResourceValidationArgs) -> Iterable[str]:
    admin_only = get(args.props, "adminCreateUserConfig", "allowAdminCreateUserOnly", default=False)
    if is_production(args.props) and admin_only and get(args.props, "mfaConfiguration") != "ON":
        yield (f"{_label('Cognito user pool', args.name)} holds production staff (admin-created users who can "
               f"delete messages and ban) but MFA is {get(args.props, 'mfaConfiguration') or 'OFF'}: one phished "
               "password moderates the event. Fix: mfa_configuration 'ON' with software tokens (ChatUserPool's "
               "require_mfa).")


def _client_secret(args: ResourceValidationArgs) -> Iterable[str]:
    if get(args.props, "generateSecret") is True:
        yield (f"{_label('Cognito app client', args.name)} generates a client secret, but browsers and mobile "
               "apps cannot keep one (and Amplify's web client cannot use one). Fix: generateSecret = false.")


def _client_environment(client: PolicyResource, stack: list[PolicyResource]) -> bool:
    pools = [d for d in client.dependencies if d.resource_type == USER_POOL]
    if pools:
        return any(is_production(p.props) for p in pools)
    tagged = [r for r in stack if r.resource_type in TAGGABLE_TYPES]
    return not tagged or any(is_production(r.props) for r in tagged)


def _client_password_auth(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    for client in _of_type(resources, USER_POOL_CLIENT):
        flows = {str(f) for f in as_list(get(client.props, "explicitAuthFlows"))} & PASSWORD_AUTH_FLOWS
        if flows and _client_environment(client, resources):
            yield (f"{_label('Cognito app client', client.name)} of a production user pool allows "
                   f"{', '.join(sorted(flows))}: the password itself crosses the wire and brute force is easier "
                   "than with SRP. Fix: remove chatstack:allowPasswordAuth (SRP and refresh-token flows only).",
                   client.urn)


# ---------------------------------------------------------------------------- web client (S3 + CloudFront)


def _bucket_label(bucket: PolicyResource) -> str:
    return _label("S3 bucket", bucket.name)


def _belongs_to(resource: PolicyResource, bucket: PolicyResource) -> bool:
    """Whether a bucket-scoped resource (access block, policy, encryption) is for `bucket`:
    it depends on it, or names it (the engine links dependencies; names may be unknown in preview)."""
    if any(d.urn == bucket.urn for d in resource.dependencies):
        return True
    name = get(bucket.props, "bucket")
    return bool(name) and get(resource.props, "bucket") == name


def _bucket_not_public(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    blocks = _of_type(resources, S3_PUBLIC_ACCESS_BLOCK)
    policies = _of_type(resources, S3_BUCKET_POLICY)
    fix = ("Fix: a BucketPublicAccessBlock with all four settings true, no public ACL or website hosting, and a "
           "bucket policy that allows only this stack's CloudFront distribution (components/chat_web_app.py).")
    for bucket in _of_type(resources, S3_BUCKET):
        where = _bucket_label(bucket)
        block = [b for b in blocks if _belongs_to(b, bucket)]
        off = sorted({flag for flag in S3_PUBLIC_ACCESS_FLAGS for b in block if get(b.props, flag) is not True})
        if not block or off:
            detail = "has no public access block" if not block else f"does not block public access ({', '.join(off)})"
            yield f"{where} {detail}: one public policy or ACL would publish it. {fix}", bucket.urn
        if str(get(bucket.props, "acl") or "") in PUBLIC_ACLS or get(bucket.props, "website") is not None:
            yield f"{where} is public (public ACL or website hosting). {fix}", bucket.urn
        for policy in (p for p in policies if _belongs_to(p, bucket)):
            for document in _policy_documents(get(policy.props, "policy")):
                for statement in _statements(document):
                    principal = get(statement, "Principal")
                    anyone = principal == "*" or (isinstance(principal, Mapping) and get(principal, "AWS") == "*")
                    if get(statement, "Effect") == "Allow" and anyone:
                        yield (f"{where} has a bucket policy ('{policy.name}') that allows everyone "
                               f"({as_list(get(statement, 'Action'))}). {fix}", policy.urn)


def _bucket_encrypted(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    configurations = _of_type(resources, S3_ENCRYPTION)
    for bucket in _of_type(resources, S3_BUCKET):
        inline = get(bucket.props, "serverSideEncryptionConfiguration")
        separate = [c for c in configurations if _belongs_to(c, bucket)]
        algorithms = [get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
                      for c in separate for rule in as_list(get(c.props, "rules"))]
        algorithms += [get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
                       for rule in as_list(get(inline, "rules"))]
        if not any(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in algorithms):
            yield (f"{_bucket_label(bucket)} has no default server-side encryption configured. Fix: a "
                   "BucketServerSideEncryptionConfiguration with sseAlgorithm AES256 or aws:kms.", bucket.urn)


def _archive_retention(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    """The chat archive holds every message's text: it expires with the stack's retention."""
    lifecycles = _of_type(resources, S3_LIFECYCLE)
    for bucket in _of_type(resources, S3_BUCKET):
        if get(bucket.props, "tags", "purpose") != ARCHIVE_PURPOSE:
            continue
        rules = [rule for c in lifecycles if _belongs_to(c, bucket) for rule in as_list(get(c.props, "rules"))]
        expiring = [rule for rule in rules if get(rule, "status") == "Enabled" and get(rule, "expiration", "days")]
        kept_forever = get(bucket.props, "tags", "retention") == "forever"
        if not expiring and not kept_forever:
            yield (f"{_bucket_label(bucket)} (the chat archive) has no enabled lifecycle rule expiring objects: every "
                   "message's text would be kept forever. Fix: a BucketLifecycleConfiguration rule with expiration "
                   "days = chatstack:retentionDays (components/chat_archive.py), or retentionDays 0 to keep it "
                   "deliberately (tag retention=forever).", bucket.urn)


def _origin_access_control(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    distributions = _of_type(resources, DISTRIBUTION)
    fix = ("Fix: S3 origins use an origin access control (originAccessControlId, SigV4), and the bucket policy "
           "allows cloudfront.amazonaws.com only with Condition StringEquals AWS:SourceArn = this distribution.")
    for distribution in distributions:
        for origin in as_list(get(distribution.props, "origins")):
            if get(origin, "customOriginConfig") is not None:
                domain = str(get(origin, "domainName") or "")
                if ".s3-website" in domain or "s3-website-" in domain:
                    yield (f"CloudFront distribution '{distribution.name}' serves an S3 website endpoint ({domain}), "
                           f"which only works for a public bucket. {fix}", distribution.urn)
                continue
            if not get(origin, "originAccessControlId"):
                legacy = get(origin, "s3OriginConfig", "originAccessIdentity")
                how = "a legacy origin access identity" if legacy else "no origin access control"
                yield (f"CloudFront distribution '{distribution.name}' reads origin '{get(origin, 'originId')}' with "
                       f"{how}. {fix}", distribution.urn)
    arns = {str(get(d.props, "arn")) for d in distributions if get(d.props, "arn")}
    for policy in _of_type(resources, S3_BUCKET_POLICY):
        for document in _policy_documents(get(policy.props, "policy")):
            for statement in _statements(document):
                service = get(statement, "Principal", "Service")
                if get(statement, "Effect") != "Allow" or "cloudfront.amazonaws.com" not in as_list(service):
                    continue
                source = get(statement, "Condition", "StringEquals", "AWS:SourceArn")
                if not source or (arns and not set(map(str, as_list(source))) <= arns):
                    yield (f"Bucket policy '{policy.name}' lets CloudFront read without naming this stack's "
                           f"distribution (AWS:SourceArn {source or 'unset'}): any distribution could. {fix}",
                           policy.urn)


def _cache_behaviors(props: Mapping[str, Any]) -> list[Any]:
    return [get(props, "defaultCacheBehavior"), *as_list(get(props, "orderedCacheBehaviors"))]


def _https_only(args: ResourceValidationArgs) -> Iterable[str]:
    for behavior in _cache_behaviors(args.props):
        policy = get(behavior, "viewerProtocolPolicy")
        if policy not in HTTPS_VIEWER_POLICIES:
            yield (f"CloudFront distribution '{args.name}' serves {get(behavior, 'pathPattern') or 'the default path'}"
                   f" over plain HTTP (viewerProtocolPolicy {policy}): tokens and messages could be read or changed "
                   "on the way. Fix: viewerProtocolPolicy = 'redirect-to-https'.")


def _tls_1_2(args: ResourceValidationArgs) -> Iterable[str]:
    if not is_production(args.props):
        return
    certificate = get(args.props, "viewerCertificate")
    version = get(certificate, "minimumProtocolVersion")
    if get(certificate, "cloudfrontDefaultCertificate") is True or version not in TLS_1_2_POLICIES:
        why = ("uses the *.cloudfront.net certificate, for which CloudFront fixes the security policy at TLSv1"
               if get(certificate, "cloudfrontDefaultCertificate") is True else f"allows {version or 'TLSv1'}")
        yield (f"CloudFront distribution '{args.name}' is in production and {why}: viewers may connect with TLS "
               "below 1.2. Fix: give the event's web client its own domain (chatstack:webAppDomain and "
               "chatstack:webAppCertificateArn, an ACM certificate in us-east-1); it then uses TLSv1.2_2021.")


def _csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def _expected_connect_sources(resources: list[PolicyResource]) -> set[str] | None:
    """'self' plus this stack's GraphQL and real-time URLs and Cognito in the API's region, when known."""
    apis = _of_type(resources, GRAPHQL_API)
    if len(apis) != 1:
        return None
    uris = get(apis[0].props, "uris")
    arn = str(get(apis[0].props, "arn") or "")
    if not isinstance(uris, Mapping) or not get(uris, "GRAPHQL") or arn.count(":") < 4:
        return None
    region = arn.split(":")[3]
    expected = {"'self'", str(get(uris, "GRAPHQL")), str(get(uris, "REALTIME")),
                f"https://cognito-idp.{region}.amazonaws.com/"}
    # events stacks: the Event API's HTTP and real-time URLs.
    for events in _of_type(resources, EVENT_API):
        dns = get(events.props, "dns")
        if isinstance(dns, Mapping) and get(dns, "HTTP"):
            expected |= {f"https://{get(dns, 'HTTP')}/event", f"wss://{get(dns, 'REALTIME')}/event/realtime"}
    # oidc stacks: the page also talks to the event platform's issuer (its origin).
    for provider in as_list(get(apis[0].props, "additionalAuthenticationProviders")):
        issuer = get(provider, "openidConnectConfig", "issuer")
        if issuer:
            parsed = urlparse(str(issuer))
            expected.add(f"{parsed.scheme}://{parsed.netloc}")
    return expected


def _security_headers(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    fix = ("Fix: the response headers policy of components/chat_web_app.py (CSP from "
           "chatstack.web_contract.content_security_policy, HSTS) on every cache behavior.")
    expected = _expected_connect_sources(resources)
    for distribution in _of_type(resources, DISTRIBUTION):
        where = f"CloudFront distribution '{distribution.name}'"
        for behavior in _cache_behaviors(distribution.props):
            if not get(behavior, "responseHeadersPolicyId"):
                yield (f"{where} serves {get(behavior, 'pathPattern') or 'the default path'} without a response "
                       f"headers policy: no Content-Security-Policy. {fix}", distribution.urn)
        policies = [d for d in distribution.dependencies if d.resource_type == RESPONSE_HEADERS_POLICY]
        if get(get(distribution.props, "defaultCacheBehavior"), "responseHeadersPolicyId") and not policies:
            yield (f"{where} uses a response headers policy from outside this stack, which chatstack cannot check "
                   f"for a CSP. {fix}", distribution.urn)
        for policy in policies:
            where_policy = f"Response headers policy '{policy.name}' (of {where})"
            security = get(policy.props, "securityHeadersConfig")
            csp = get(security, "contentSecurityPolicy", "contentSecurityPolicy")
            if not csp:
                yield f"{where_policy} sends no Content-Security-Policy. {fix}", policy.urn
                continue
            directives = _csp_directives(str(csp))
            for name in ("default-src", "script-src", "connect-src", "frame-ancestors"):
                if name not in directives:
                    yield f"{where_policy} has a CSP without {name}. {fix}", policy.urn
            scripts = directives.get("script-src", [])
            loose = [s for s in scripts if s in ("'unsafe-inline'", "'unsafe-eval'", "*", "https:", "data:")]
            if loose:
                yield f"{where_policy} allows scripts from {loose}. {fix}", policy.urn
            connect = directives.get("connect-src", [])
            wild = [s for s in connect if "*" in s or s.rstrip(":") in ("https", "wss", "http", "ws")]
            if wild:
                yield f"{where_policy} lets the page connect anywhere ({wild}). {fix}", policy.urn
            elif expected is not None and "connect-src" in directives and set(connect) != expected:
                yield (f"{where_policy} has connect-src {sorted(set(connect))}; this stack's AppSync and Cognito "
                       f"endpoints are {sorted(expected)}. {fix}", policy.urn)
            if get(security, "strictTransportSecurity", "accessControlMaxAgeSec") is None:
                yield f"{where_policy} sends no Strict-Transport-Security. {fix}", policy.urn


# ---------------------------------------------------------------------------- stack


def _event_tags(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    seen: dict[str, dict[str, list[str]]] = {key: {} for key in EVENT_TAGS}
    for resource in resources:
        tags = get(resource.props, "tags")
        if resource.resource_type not in TAGGABLE_TYPES and tags is None:
            continue
        tags = tags if isinstance(tags, Mapping) else {}
        missing = [key for key in EVENT_TAGS if not tags.get(key)]
        if missing:
            yield (f"{resource.resource_type} '{resource.name}' lacks the event tag(s) {', '.join(missing)}; cost "
                   "reports, cleanup and the production rules rely on them. Fix: pass tags=event_tags(event, "
                   "config) (components/event_chat_stack.py).", resource.urn)
        for key in EVENT_TAGS:
            if tags.get(key):
                seen[key].setdefault(str(tags[key]), []).append(resource.name)
    for key, values in seen.items():
        if len(values) > 1:
            detail = "; ".join(f"{value!r}: {', '.join(sorted(names))}" for value, names in sorted(values.items()))
            yield (f"Resources of one event stack disagree on the '{key}' tag ({detail}). Fix: tag every resource "
                   "with the same event_tags(event, config).", None)
    environments = set(seen["environment"]) - {"development", "production"}
    if environments:
        yield (f"Unknown environment tag value(s) {sorted(environments)}: the pack treats them as production. Fix: "
               "chatstack:environment is development or production.", None)


def _one_of_each(resources: list[PolicyResource]) -> Iterable[tuple[str, str | None]]:
    for type_token, what in ((TABLE, "DynamoDB table"), (GRAPHQL_API, "AppSync API"), (USER_POOL, "user pool")):
        found = _of_type(resources, type_token)
        if len(found) != 1:
            names = ", ".join(sorted(r.name for r in found)) or "none"
            yield (f"An event stack has exactly one {what}; this one has {len(found)} ({names}). Fix: one "
                   "EventChatStack per Pulumi stack; put another event in its own Pulumi.<event>.yaml.", None)


# ---------------------------------------------------------------------------- the pack

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_rule("dynamodb-point-in-time-recovery", MANDATORY,
                   "The table has PITR on: a bad deploy or a misbehaving client cannot destroy chat history for good.",
                   [TABLE], _pitr),
    _resource_rule("dynamodb-server-side-encryption", MANDATORY,
                   "The table uses KMS server-side encryption (`serverSideEncryption.enabled`), so key use is "
                   "auditable in CloudTrail.",
                   [TABLE], _sse),
    _resource_rule("dynamodb-deletion-protection-production", MANDATORY,
                   "Production tables have deletion protection on (a `pulumi destroy` or console slip cannot drop the"
                   " event's chat).",
                   [TABLE], _table_deletion_protection),
    _resource_rule("dynamodb-ttl", MANDATORY,
                   "TTL is enabled on an attribute (`expiresAt`), so rows expire per `retentionDays` instead of being"
                   " kept forever.",
                   [TABLE], _ttl),
    _resource_rule("dynamodb-on-demand-max-throughput", ADVISORY,
                   "On-demand tables set `onDemandThroughput` read and write maxima, bounding what a runaway client "
                   "can cost. On-demand itself is fine.",
                   [TABLE], _on_demand_limits),
    _stack_rule("dynamodb-provisioned-autoscaling", MANDATORY,
                "Stack rule: a PROVISIONED table and each of its GSIs have an appautoscaling target and policy for "
                "reads and writes; fixed capacity throttles a live event, and a throttled GSI throttles writes to the"
                " table.", _table_autoscaling),
    _resource_rule("appsync-default-auth-cognito-production", MANDATORY,
                   "Production APIs default to Cognito user pools and offer no API_KEY provider: an API key is a "
                   "shared secret shipped in every client.",
                   [GRAPHQL_API], _default_auth),
    _resource_rule("appsync-js-runtime", MANDATORY,
                   "Every resolver and function runs APPSYNC_JS code (no VTL): the only code this project lints and "
                   "tests locally.",
                   [RESOLVER, FUNCTION], _js_runtime),
    _resource_rule("appsync-logging-enabled", MANDATORY,
                   "The API logs to CloudWatch (field log level not NONE, with a logs role): resolver errors during "
                   "an event leave a trace.",
                   [GRAPHQL_API], _logging),
    _resource_rule("appsync-exclude-verbose-logs-production", MANDATORY,
                   "Production APIs set `excludeVerboseContent`: no headers, tokens or message bodies in logs.",
                   [GRAPHQL_API], _verbose_logs),
    _resource_rule("appsync-introspection-disabled-production", MANDATORY,
                   "Production APIs disable introspection (AppSync's default is enabled).",
                   [GRAPHQL_API], _introspection),
    _resource_rule("appsync-events-logging-enabled", MANDATORY,
                   "Event APIs (fanOutMode events) log to CloudWatch (`eventConfig.logConfig`, level ERROR or "
                   "higher, with a logs role).", [EVENT_API], _events_logging),
    _resource_rule("appsync-events-no-api-key", MANDATORY,
                   "Event APIs and their channel namespaces accept no API_KEY auth mode (a shared secret in every "
                   "client).", [EVENT_API, CHANNEL_NAMESPACE], _events_no_api_key),
    _stack_rule("appsync-events-iam-only-publish", MANDATORY,
                "Stack rule: only IAM publishes to an Event API (its default publish auth modes and every channel "
                "namespace's): the fan-out consumer publishes, attendees only subscribe.", _events_iam_only_publish),
    _resource_rule("appsync-query-depth-limit", MANDATORY,
                   "`queryDepthLimit` is 1–75 (0 means unlimited), bounding nested fan-out per request.",
                   [GRAPHQL_API], _query_depth),
    _stack_rule("iam-appsync-datasource-least-privilege", MANDATORY,
                "Stack rule: the DynamoDB data-source role (inline policies, role policies, attachments) allows only "
                "DynamoDB item actions (no `*`, no DeleteTable/UpdateTable/CreateTable, no NotAction/NotResource, no "
                "managed policies), only on this stack's table ARN and `<arn>/index/*`.", _datasource_role_policy),
    _stack_rule("appsync-iam-callers-least-privilege", MANDATORY,
                "Stack rule: every `appsync:GraphQL` grant in the stack names fields (`<API "
                "ARN>/types/<Type>/fields/<field>`) that the schema opens to IAM (`@aws_iam`: `publishBatch`, "
                "`publishRoomEvent`, ...), no wildcards; and no moderation field (`deleteMessage`, `banUser`, "
                "`unbanUser`, `updateRoomSettings`, `getModerationLog`) carries `@aws_iam`, so no backend role can "
                "moderate.",
                _appsync_iam_grants),
    _resource_rule("cognito-password-policy", MANDATORY,
                   f"Cognito user pools require passwords of at least {MIN_PASSWORD_LENGTH} characters with lower "
                   "case, upper case and numbers.",
                   [USER_POOL], _password_policy),
    _resource_rule("cognito-deletion-protection-production", MANDATORY,
                   "Production user pools have deletion protection `ACTIVE`: deleting the pool deletes every "
                   "participant's account.",
                   [USER_POOL], _pool_deletion_protection),
    _resource_rule("cognito-self-sign-up-needs-ses-production", MANDATORY,
                   "A production user pool that lets users sign themselves up sends email through SES (`DEVELOPER` "
                   "with a source ARN); otherwise it allows only admin-created users. Cognito's built-in sender stops"
                   " at 50 emails a day per account, and unconfirmed users cannot sign in.",
                   [USER_POOL], _self_sign_up_email),
    _resource_rule("cognito-mfa-staff-production", MANDATORY,
                   "Production staff pools (admin-created users only: they can delete messages and ban) require TOTP "
                   "MFA for every user. The web client's sign-in (Amplify Authenticator) offers the authenticator-app"
                   " setup itself.",
                   [USER_POOL], _staff_pool_mfa),
    _resource_rule("cognito-client-no-secret", MANDATORY,
                   "App clients are public (no secret): browsers and mobile apps cannot keep one.",
                   [USER_POOL_CLIENT], _client_secret),
    _stack_rule("cognito-no-password-auth-production", MANDATORY,
                "Stack rule: app clients of a production pool do not allow `USER_PASSWORD_AUTH` (the password crosses"
                " the wire); SRP and refresh tokens only. Development stacks may allow it for scripts and tests.",
                _client_password_auth),
    _stack_rule("event-tags", MANDATORY,
                "Stack rule: every taggable resource carries `event`, `environment` and `owner`, with the same values"
                " across the stack (cost reports, cleanup and the production rules rely on them).", _event_tags),
    _stack_rule("fanout-consumer-least-privilege", MANDATORY,
                "Stack rule: every stream consumer's role (the batched fan-out, the archive) reads only this table's "
                "stream (`<table ARN>/stream/*`), calls only `publishBatch` on this API, puts objects only into this "
                "stack's archive bucket (`<bucket ARN>/*`), writes only its own logs and failure queue; no wildcards.",
                _consumer_role_policy),
    _stack_rule("fanout-consumer-delivery", MANDATORY,
                "Stack rule: the stream event source mapping has an on-failure destination, bisects failing batches, "
                "bounds retries and record age, reports partial batch failures, and keeps one poller per shard so a "
                "room's messages stay in order.", _consumer_delivery),
    _stack_rule("fanout-consumer-alarms", MANDATORY,
                "Stack rule: the stream consumer has CloudWatch alarms on `IteratorAge` (late delivery) and `Errors`.",
                _consumer_alarms),
    _resource_rule("alarms-notify", MANDATORY,
                   "Every CloudWatch alarm has alarm actions (the stack's alarm topic): an alarm nobody hears does "
                   "not count.",
                   [METRIC_ALARM], _alarm_notifies),
    _stack_rule("alarm-recipients-production", MANDATORY,
                "Stack rule: a production stack's alarm topic has at least one subscriber (`chatstack:alarmEmails` / "
                "`alarmHttpsEndpoints`), so an alarm reaches a person.", _alarm_recipients),
    _stack_rule("s3-bucket-not-public", MANDATORY,
                "Stack rule (web client): every bucket has a public access block with all four settings on, no public"
                " ACL or website hosting, and no bucket policy statement allowing everyone.", _bucket_not_public),
    _stack_rule("s3-bucket-encrypted", MANDATORY,
                "Stack rule: every bucket has default server-side encryption (`AES256` or KMS).", _bucket_encrypted),
    _stack_rule("archive-retention", MANDATORY,
                "Stack rule: the chat archive bucket (tag `purpose=chat-archive`) has an enabled lifecycle rule "
                "expiring objects after the stack's `chatstack:retentionDays`: every message's text is in it. A stack"
                " with `retentionDays: 0` keeps it on purpose (tag `retention=forever`).", _archive_retention),
    _stack_rule("cloudfront-origin-access-control", MANDATORY,
                "Stack rule: S3 origins are read through an origin access control (no legacy OAI, no public website "
                "endpoint), and a bucket policy letting `cloudfront.amazonaws.com` read names this stack's "
                "distribution (`AWS:SourceArn`); otherwise any distribution could read it.", _origin_access_control),
    _resource_rule("cloudfront-https-only", MANDATORY,
                   "Every cache behaviour redirects HTTP to HTTPS (or is HTTPS-only).", [DISTRIBUTION], _https_only),
    _resource_rule("cloudfront-tls-1-2-production", MANDATORY,
                   "Production distributions accept TLS 1.2+ only: their own domain and ACM certificate with "
                   "`TLSv1.2_2021` (with the `*.cloudfront.net` certificate CloudFront fixes the policy at TLSv1).",
                   [DISTRIBUTION], _tls_1_2),
    _stack_rule("cloudfront-security-headers", MANDATORY,
                "Stack rule: every cache behaviour has a response headers policy of this stack with a CSP "
                "(`default-src`, `script-src` without `unsafe-*`, `frame-ancestors`, `connect-src` without wildcards "
                "and, when the API's URLs are known, exactly `'self'`, its GraphQL and real-time URLs and Cognito in "
                "its region) and HSTS.", _security_headers),
    _stack_rule("one-table-api-user-pool", MANDATORY,
                "Stack rule: exactly one DynamoDB table, one AppSync API and one Cognito user pool per event stack.",
                _one_of_each),
]
