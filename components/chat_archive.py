"""The event's archive: every chat event from the table's stream to S3 (JSON lines, partitioned
event/date/hour), kept for the stack's retention, encrypted, private; a Glue table over it (partition
projection: no crawler, no MSCK REPAIR) and Athena named queries; and per-room chat metrics.

Why a Lambda consumer and not Firehose: DynamoDB Streams cannot feed Firehose directly (only
through Kinesis Data Streams, a second stream to pay for and size); a stream consumer is one
more reader of the same shards (DynamoDB Streams allows two per shard: the batched fan-out and
this), writes the archive's own record format, and emits the chat metrics in the same pass.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

import archive_consumer
from chatstack.event_names import bucket_prefix, role_name_prefix
from components.alarm_topic import notify, single_metric
from components.batch_fanout import STREAM_READ_ACTIONS
from components.lambda_package import package_archive
from components.transforms import TransformArgs, check_roles, child_maker

ARCHIVE_PURPOSE = "chat-archive"  # the bucket's `purpose` tag (policy: archive-retention)

# The archive's columns as Athena sees them (archive_consumer.records); partitions are projected.
COLUMNS = [("key", "string"), ("type", "string"), ("roomid", "string"), ("at", "string"),
           ("messageid", "string"), ("replyid", "string"), ("sender", "string"), ("sendername", "string"),
           ("text", "string"), ("eventid", "string"), ("actor", "string"), ("target", "string"),
           ("reason", "string"), ("purged", "boolean")]
NAMED_QUERIES = {
    "messages-per-minute": ("Messages and distinct senders per minute",
                            "SELECT date_trunc('minute', from_iso8601_timestamp(at)) AS minute, count(*) AS messages, "
                            "count(DISTINCT sender) AS senders FROM {table} WHERE type = 'message' "
                            "GROUP BY 1 ORDER BY 1"),
    "top-rooms": ("Rooms by messages", "SELECT roomid, count(*) AS messages FROM {table} WHERE type = 'message' "
                                       "GROUP BY roomid ORDER BY messages DESC LIMIT 20"),
    "moderation": ("Moderation actions, newest first",
                   "SELECT at, roomid, type, actor, target, reason FROM {table} "
                   "WHERE type IN ('deletion', 'ban', 'unban', 'settings') ORDER BY at DESC"),
}


@dataclass
class ChatArchiveArgs:
    physical_name: str
    stem: str  # "<project>-<event>": the bucket's name prefix
    event: str
    tags: dict[str, str]
    stream_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    # Days the archive is kept (the stack's chatstack:retentionDays); 0 keeps it forever.
    retention_days: int = 30
    log_retention_days: int = 30
    alarm_topic_arn: pulumi.Input[str] | None = None
    force_destroy: bool = False
    transform: TransformArgs | None = None


def glue_name(physical_name: str) -> str:
    """Glue and Athena names take [a-z0-9_]."""
    return re.sub(r"[^a-z0-9_]+", "_", physical_name.lower()).strip("_")


def archive_policy(table_arn: str, bucket_arn: str, log_group_arn: str, queue_arn: str) -> str:
    """Read this table's stream, write objects into this archive bucket, log, dead-letter."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": STREAM_READ_ACTIONS, "Resource": [f"{table_arn}/stream/*"]},
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{bucket_arn}/*"]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{log_group_arn}:*"]},
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]},
    ]})


class ChatArchive(pulumi.ComponentResource):
    """The event's archive bucket, its stream consumer, the Glue table and Athena queries over it."""

    bucket_name: pulumi.Output[str]
    function_name: pulumi.Output[str]

    ROLES = {"bucket", "publicAccessBlock", "ownershipControls", "encryption", "lifecycle", "bucketPolicy",
             "failureQueue", "logGroup", "role", "function", "eventSourceMapping", "alarms", "database", "table",
             "queries"}

    def __init__(self, name: str, args: ChatArchiveArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatstack:index:ChatArchive", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatArchive")

        make = child_maker(self, args.transform)
        tags = {**args.tags, "purpose": ARCHIVE_PURPOSE,
                **({"retention": "forever"} if args.retention_days <= 0 else {})}
        bucket = make("bucket", aws.s3.Bucket, f"{name}-bucket", {
            "bucket_prefix": bucket_prefix(args.stem, "archive"), "force_destroy": args.force_destroy, "tags": tags})
        make("publicAccessBlock", aws.s3.BucketPublicAccessBlock, f"{name}-private", {
            "bucket": bucket.id, "block_public_acls": True, "block_public_policy": True,
            "ignore_public_acls": True, "restrict_public_buckets": True})
        make("ownershipControls", aws.s3.BucketOwnershipControls, f"{name}-ownership", {
            "bucket": bucket.id, "rule": {"object_ownership": "BucketOwnerEnforced"}})
        make("encryption", aws.s3.BucketServerSideEncryptionConfiguration, f"{name}-encryption", {
            "bucket": bucket.id, "rules": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                                            "bucket_key_enabled": True}]})
        rule: dict[str, Any] = {"id": "retention", "status": "Enabled", "filter": {"prefix": ""},
                                "abort_incomplete_multipart_upload": {"days_after_initiation": 1}}
        if args.retention_days > 0:
            rule["expiration"] = {"days": args.retention_days}
        make("lifecycle", aws.s3.BucketLifecycleConfiguration, f"{name}-lifecycle", {"bucket": bucket.id,
                                                                                    "rules": [rule]})
        make("bucketPolicy", aws.s3.BucketPolicy, f"{name}-tls-only", {
            "bucket": bucket.id,
            "policy": bucket.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))})

        queue = make("failureQueue", aws.sqs.Queue, f"{name}-failed", {
            "name": f"{args.physical_name}-failed", "sqs_managed_sse_enabled": True,
            "message_retention_seconds": 14 * 86_400, "tags": args.tags})
        log_group = make("logGroup", aws.cloudwatch.LogGroup, f"{name}-logs", {
            "name": f"/aws/lambda/{args.physical_name}", "retention_in_days": args.log_retention_days,
            "tags": args.tags})
        role = make("role", aws.iam.Role, f"{name}-role", {
            "name_prefix": role_name_prefix(args.physical_name, "archive"),
            "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            "tags": args.tags})
        policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=pulumi.Output.all(
            args.table_arn, bucket.arn, log_group.arn, queue.arn).apply(lambda v: archive_policy(*v)),
            opts=pulumi.ResourceOptions(parent=self))
        function = make("function", aws.lambda_.Function, f"{name}-consumer", {
            "name": args.physical_name, "runtime": "python3.12", "architectures": ["arm64"],
            "handler": "archive_consumer.handler.handler", "code": package_archive(archive_consumer), "role": role.arn,
            "timeout": 60, "memory_size": 256,
            "environment": {"variables": {"ARCHIVE_BUCKET": bucket.bucket, "EVENT": args.event}},
            "logging_config": {"log_format": "Text", "log_group": log_group.name}, "tags": args.tags,
        }, depends_on=[policy, log_group])
        make("eventSourceMapping", aws.lambda_.EventSourceMapping, f"{name}-stream", {
            "event_source_arn": args.stream_arn, "function_name": function.arn, "starting_position": "TRIM_HORIZON",
            "batch_size": 1000, "maximum_batching_window_in_seconds": 10, "parallelization_factor": 1,
            "maximum_retry_attempts": 10, "maximum_record_age_in_seconds": 86_400,
            "bisect_batch_on_function_error": True, "function_response_types": ["ReportBatchItemFailures"],
            "destination_config": {"on_failure": {"destination_arn": queue.arn}}, "tags": args.tags})
        for suffix, metric, stat, threshold in (("iterator-age", "IteratorAge", "Maximum", 300_000),
                                                ("errors", "Errors", "Sum", 0)):
            make("alarms", aws.cloudwatch.MetricAlarm, f"{name}-{suffix}", {
                "name": f"{args.physical_name}-{suffix}",
                **single_metric("AWS/Lambda", metric, stat, {"FunctionName": function.name}, threshold=threshold),
                **notify(args.alarm_topic_arn), "tags": args.tags})

        database_name = glue_name(f"{args.physical_name}")
        database = make("database", aws.glue.CatalogDatabase, f"{name}-database", {
            "name": database_name, "description": f"{args.event}: the chat archive (chatstack)", "tags": args.tags})
        table_name = f"{database_name}_events"  # names stay unique across the account's stacks
        location = bucket.bucket.apply(lambda b: f"s3://{b}/event={args.event}/")
        make("table", aws.glue.CatalogTable, f"{name}-table", {
            "name": table_name, "database_name": database.name, "table_type": "EXTERNAL_TABLE",
            "partition_keys": [{"name": "date", "type": "string"}, {"name": "hour", "type": "string"}],
            "parameters": {
                "classification": "json", "projection.enabled": "true",
                "projection.date.type": "date", "projection.date.format": "yyyy-MM-dd",
                "projection.date.range": "2026-01-01,NOW", "projection.hour.type": "integer",
                "projection.hour.range": "0,23", "projection.hour.digits": "2",
                "storage.location.template": location.apply(lambda loc: loc + "date=${date}/hour=${hour}/"),
            },
            "storage_descriptor": {
                "location": location,
                "input_format": "org.apache.hadoop.mapred.TextInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "ser_de_info": {"serialization_library": "org.openx.data.jsonserde.JsonSerDe",
                                "parameters": {"case.insensitive": "true"}},
                "columns": [{"name": column, "type": kind} for column, kind in COLUMNS],
            },
        })
        for key, (description, sql) in NAMED_QUERIES.items():
            make("queries", aws.athena.NamedQuery, f"{name}-query-{key}", {
                "name": f"{args.physical_name}-{key}", "description": description, "database": database.name,
                "query": sql.format(table=f'"{database_name}"."{table_name}"')})

        self.bucket_name = bucket.bucket
        self.function_name = function.name
        self.register_outputs({"bucketName": self.bucket_name, "functionName": self.function_name})
