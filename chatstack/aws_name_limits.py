"""What AWS accepts as the physical name of each resource a stack registers.

Pulumi's mocks accept any name; AWS does not. Limits come from the service models that
botocore ships (the `min`/`max`/`pattern` of each create operation's name parameter). Where
a model is looser than the API's documented rule (Lambda's FunctionName also takes a
140-character ARN; DynamoDB's TableName also takes an ARN; SQS and SNS models state no
limit), the documented rule is added, with its source, and a name must satisfy both.

Pure logic: no Pulumi imports.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import regex  # botocore's patterns are Java regexes (\\p{L}, \\p{Print}); `re` lacks those classes

# terraform-provider-aws (under pulumi-aws) appends a 26-character unique suffix to a
# name_prefix (and an S3 bucket_prefix), so a prefix may be at most (the name's max - 26) long.
NAME_PREFIX_SUFFIX_LENGTH = 26
PREFIX_PROPS = ("namePrefix", "bucketPrefix")
# Pulumi auto-names a resource whose `name` is unset: its logical name + "-" + 7 random characters.
AUTONAME_SUFFIX = "-0000000"


# Java (UTF-16) writes "any supplementary character" as the surrogate pair range
# \uD800\uDC00-\uDBFF\uDFFF (Glue's name patterns); Python strings hold code points.
SUPPLEMENTARY_JAVA = "\\uD800\\uDC00-\\uDBFF\\uDFFF"
SUPPLEMENTARY = "\\U00010000-\\U0010FFFF"


def python_pattern(java_pattern: str) -> str:
    return java_pattern.replace(SUPPLEMENTARY_JAVA, SUPPLEMENTARY)


@dataclass(frozen=True)
class NameLimit:
    min: int
    max: int | None
    pattern: str | None
    source: str

    def problem(self, value: str) -> str | None:
        """Why `value` breaks this limit, or None."""
        if len(value) < self.min:
            return f"is {len(value)} characters; {self.source} requires at least {self.min}"
        if self.max is not None and len(value) > self.max:
            return f"is {len(value)} characters; {self.source} allows at most {self.max}"
        if self.pattern is not None and not regex.fullmatch(python_pattern(self.pattern), value):
            return f"does not match {self.pattern!r} ({self.source})"
        return None


@dataclass(frozen=True)
class NamedInput:
    """The input of a resource type that becomes a physical name, and the API that receives it."""

    service: str  # botocore service name
    operation: str
    member: str  # the input shape's member; dotted for a nested one ("OriginAccessControlConfig.Name")
    # The input the program sets ("name" or "namePrefix", camelCase as registered).
    prop: str = "name"
    # Pulumi auto-names the resource when the input is unset.
    autonamed: bool = True

    @property
    def api(self) -> str:
        return f"{self.service} {self.operation} {self.member}"


# Every resource type the program registers that has a physical name.
NAMED_INPUTS: dict[str, tuple[NamedInput, ...]] = {
    "aws:cognito/userPool:UserPool": (NamedInput("cognito-idp", "CreateUserPool", "PoolName"),),
    "aws:cognito/userPoolClient:UserPoolClient": (
        NamedInput("cognito-idp", "CreateUserPoolClient", "ClientName", autonamed=False),),
    "aws:cognito/userGroup:UserGroup": (NamedInput("cognito-idp", "CreateGroup", "GroupName", autonamed=False),),
    "aws:dynamodb/table:Table": (NamedInput("dynamodb", "CreateTable", "TableName"),),
    "aws:appsync/graphQLApi:GraphQLApi": (NamedInput("appsync", "CreateGraphqlApi", "name"),),
    "aws:appsync/dataSource:DataSource": (NamedInput("appsync", "CreateDataSource", "name", autonamed=False),),
    # fanOutMode events: the Event API and its rooms namespace (components.chat_events).
    "aws:appsync/api:Api": (NamedInput("appsync", "CreateApi", "name"),),
    "aws:appsync/channelNamespace:ChannelNamespace": (
        NamedInput("appsync", "CreateChannelNamespace", "name", autonamed=False),),
    "aws:appsync/function:Function": (NamedInput("appsync", "CreateFunction", "name", autonamed=False),),
    "aws:iam/role:Role": (
        NamedInput("iam", "CreateRole", "RoleName"),
        NamedInput("iam", "CreateRole", "RoleName", prop="namePrefix", autonamed=False),
    ),
    "aws:iam/rolePolicy:RolePolicy": (NamedInput("iam", "PutRolePolicy", "PolicyName"),),
    "aws:lambda/function:Function": (NamedInput("lambda", "CreateFunction", "FunctionName"),),
    "aws:sqs/queue:Queue": (NamedInput("sqs", "CreateQueue", "QueueName"),),
    "aws:cloudwatch/logGroup:LogGroup": (NamedInput("logs", "CreateLogGroup", "logGroupName"),),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (NamedInput("cloudwatch", "PutMetricAlarm", "AlarmName"),),
    "aws:sns/topic:Topic": (NamedInput("sns", "CreateTopic", "Name"),),
    "aws:appautoscaling/policy:Policy": (NamedInput("application-autoscaling", "PutScalingPolicy", "PolicyName"),),
    # The web client (ChatWebApp).
    "aws:s3/bucket:Bucket": (NamedInput("s3", "CreateBucket", "Bucket", prop="bucketPrefix", autonamed=False),),
    "aws:cloudfront/originAccessControl:OriginAccessControl": (
        NamedInput("cloudfront", "CreateOriginAccessControl", "OriginAccessControlConfig.Name"),),
    # The archive (ChatArchive) and the dashboard.
    "aws:athena/namedQuery:NamedQuery": (NamedInput("athena", "CreateNamedQuery", "Name"),),
    "aws:glue/catalogDatabase:CatalogDatabase": (NamedInput("glue", "CreateDatabase", "DatabaseInput.Name"),),
    "aws:glue/catalogTable:CatalogTable": (NamedInput("glue", "CreateTable", "TableInput.Name", autonamed=False),),
    "aws:cloudwatch/dashboard:Dashboard": (NamedInput("cloudwatch", "PutDashboard", "DashboardName",
                                                      prop="dashboardName", autonamed=False),),
    # No length is documented for this name; it holds no event name (logical name + Pulumi's suffix).
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": (
        NamedInput("cloudfront", "CreateResponseHeadersPolicy", "ResponseHeadersPolicyConfig.Name"),),
}

# Resource types that register no physical name of their own (ids are AWS-generated).
UNNAMED_TYPES = frozenset({
    "aws:appsync/resolver:Resolver",
    "aws:appautoscaling/target:Target",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:servicequotas/serviceQuota:ServiceQuota",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:cloudfront/distribution:Distribution",
    # S3 objects (keys are the build's file paths) and the bucket's own settings.
    "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
})

# Documented rules where the botocore shape is looser than what the API accepts for a name.
DOCUMENTED_LIMITS: dict[tuple[str, str, str], NameLimit] = {
    ("lambda", "CreateFunction", "FunctionName"): NameLimit(
        1, 64, "[a-zA-Z0-9_-]+",
        "Lambda CreateFunction FunctionName (API reference: a name without ARN is limited to 64 characters)"),
    ("dynamodb", "CreateTable", "TableName"): NameLimit(
        3, 255, "[a-zA-Z0-9_.-]+", "DynamoDB CreateTable TableName (developer guide, naming rules: 3-255)"),
    ("sqs", "CreateQueue", "QueueName"): NameLimit(
        1, 80, "[a-zA-Z0-9_-]+",
        "SQS CreateQueue QueueName (API reference: up to 80 alphanumerics, hyphens, underscores)"),
    ("sns", "CreateTopic", "Name"): NameLimit(
        1, 256, "[a-zA-Z0-9_-]+",
        "SNS CreateTopic Name (API reference: up to 256 alphanumerics, hyphens, underscores)"),
    ("s3", "CreateBucket", "Bucket"): NameLimit(
        3, 63, "[a-z0-9][a-z0-9.-]*[a-z0-9]",
        "S3 CreateBucket Bucket (user guide, general purpose bucket naming rules: 3-63 characters of a-z, "
        "0-9, '.' and '-', beginning and ending with a letter or digit)"),
    ("glue", "CreateDatabase", "DatabaseInput.Name"): NameLimit(
        1, 255, "[a-z0-9_]+",
        "Glue CreateDatabase Name as Athena takes it (Athena user guide, names of databases and tables: lower "
        "case letters, numbers and underscore)"),
    ("glue", "CreateTable", "TableInput.Name"): NameLimit(
        1, 255, "[a-z0-9_]+",
        "Glue CreateTable Name as Athena takes it (Athena user guide, names of databases and tables: lower "
        "case letters, numbers and underscore)"),
    ("cloudfront", "CreateOriginAccessControl", "OriginAccessControlConfig.Name"): NameLimit(
        1, 64, None, "CloudFront CreateOriginAccessControl Name (API reference: up to 64 characters)"),
}


@functools.cache
def _service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.cache
def limits(service: str, operation: str, member: str) -> tuple[NameLimit, ...]:
    """botocore's constraint on the parameter, plus the documented rule where there is one."""
    shape = _service_model(service).operation_model(operation).input_shape
    for part in member.split("."):
        shape = shape.members[part]
    metadata = shape.metadata
    found = [NameLimit(
        metadata.get("min", 0), metadata.get("max"), metadata.get("pattern"),
        f"{service} {operation} {member} (botocore service model)",
    )]
    documented = DOCUMENTED_LIMITS.get((service, operation, member))
    if documented is not None:
        found.append(documented)
    return tuple(found)


def max_length(named: NamedInput) -> int | None:
    """The longest value the input may have (a name prefix: the name's limit less the unique suffix)."""
    maxima = [limit.max for limit in limits(named.service, named.operation, named.member) if limit.max is not None]
    if not maxima:
        return None
    return min(maxima) - (NAME_PREFIX_SUFFIX_LENGTH if named.prop in PREFIX_PROPS else 0)


def input_named(resource_type: str, prop: str = "name") -> NamedInput:
    for named in NAMED_INPUTS[resource_type]:
        if named.prop == prop:
            return named
    raise KeyError(f"{resource_type} has no named input {prop!r}")


def name_problems(resource_type: str, logical_name: str, inputs: dict) -> list[str]:
    """Every way the resource's physical name (as AWS would receive it) breaks AWS's rules."""
    if resource_type in UNNAMED_TYPES or resource_type.startswith("chatstack:"):
        return []
    if resource_type not in NAMED_INPUTS:
        return [f"{resource_type} ({logical_name}): no name rule known; add it to NAMED_INPUTS or UNNAMED_TYPES"]
    problems = []
    for named in NAMED_INPUTS[resource_type]:
        value = inputs.get(named.prop)
        if value is None:
            if named.prop != "name" or not named.autonamed or inputs.get("namePrefix") is not None:
                continue
            value = logical_name + AUTONAME_SUFFIX  # what Pulumi would generate
        # A prefix is checked as the full name the provider will create from it.
        full = value + "0" * NAME_PREFIX_SUFFIX_LENGTH if named.prop in PREFIX_PROPS else value
        for limit in limits(named.service, named.operation, named.member):
            problem = limit.problem(full)
            if problem:
                what = f"name prefix {value!r} (+{NAME_PREFIX_SUFFIX_LENGTH} generated)" if (
                    named.prop in PREFIX_PROPS) else f"name {value!r}"
                problems.append(f"{resource_type} {logical_name}: {what} {problem}")
    return problems
