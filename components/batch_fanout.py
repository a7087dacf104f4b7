"""Batched fan-out for an event's rooms: a DynamoDB stream consumer (Lambda) that calls
the API's IAM-only `publishBatch` once per room per flush, with its least-privilege role,
event source mapping, failure queue and alarms."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

import fanout_consumer
from chatstack.event_names import role_name_prefix
from chatstack.planning.planner import batching_window_seconds
from components.alarm_topic import notify, single_metric
from components.lambda_package import package_archive
from components.transforms import TransformArgs, apply_transform, check_roles
from fanout_consumer.batching import DEFAULT_MAX_BATCH_BYTES

# The Lambda ships the consumer package as installed alongside this tool.
# What a stream consumer needs to read the table's stream (the fan-out and the archive alike).
STREAM_READ_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams"]
# Only new chat lines (messages and thread replies) wake the consumer, and deletions (a tombstone
# MODIFY), so a message deleted before its batch flushed is dropped from it: cursor rows,
# moderation rows and other updates are filtered out by Lambda before invocation (billed nothing).
STREAM_FILTER = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"type": {"S": ["MESSAGE", "THREAD"]}}}}
# events stacks also tell rooms of moderation actions: the AUDIT rows carry the room event.
EVENTS_STREAM_FILTER = {"eventName": ["INSERT"],
                        "dynamodb": {"NewImage": {"type": {"S": ["MESSAGE", "THREAD", "AUDIT"]}}}}
DELETION_FILTER = {"eventName": ["MODIFY"],
                   "dynamodb": {"NewImage": {"type": {"S": ["MESSAGE"]}, "deletedAt": {"S": [{"exists": True}]}}}}


@dataclass
class BatchFanoutArgs:
    physical_name: str
    tags: dict[str, str]
    table_arn: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    api_arn: pulumi.Input[str]
    graphql_url: pulumi.Input[str]
    table_name: pulumi.Input[str]
    # Where alarms notify (the stack's AlarmTopic); None: alarms without actions.
    alarm_topic_arn: pulumi.Input[str] | None = None
    flush_interval_ms: int = 1000
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES
    # Chat older than this is not worth delivering late; it goes to the failure queue.
    max_record_age_seconds: int = 300
    log_retention_days: int = 14
    # events stacks: the Event API's HTTP publish URL and its ARN (the consumer publishes there).
    events_url: pulumi.Input[str] | None = None
    events_api_arn: pulumi.Input[str] | None = None
    transform: TransformArgs | None = None


class BatchFanout(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    failure_queue_url: pulumi.Output[str]

    ROLES = {"function", "role", "logGroup", "failureQueue", "eventSourceMapping", "alarms"}

    def __init__(self, name: str, args: BatchFanoutArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatstack:index:BatchFanout", name, {}, opts)
        check_roles(args.transform, self.ROLES, "BatchFanout")
        t = args.transform
        child = pulumi.ResourceOptions(parent=self)

        queue_args = apply_transform(t, "failureQueue", {
            "name": f"{args.physical_name}-failed",
            "sqs_managed_sse_enabled": True,
            "message_retention_seconds": 14 * 86_400,
            "tags": args.tags,
        }, child)
        queue = aws.sqs.Queue(f"{name}-failed", **queue_args, opts=child)

        log_args = apply_transform(t, "logGroup", {
            "name": f"/aws/lambda/{args.physical_name}",
            "retention_in_days": args.log_retention_days,
            "tags": args.tags,
        }, child)
        log_group = aws.cloudwatch.LogGroup(f"{name}-logs", **log_args, opts=child)

        role_args = apply_transform(t, "role", {
            "name_prefix": role_name_prefix(args.physical_name, "consumer"),
            "assume_role_policy": json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }),
            "tags": args.tags,
        }, child)
        role = aws.iam.Role(f"{name}-role", **role_args, opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(args.table_arn, args.api_arn, log_group.arn, queue.arn,
                                     args.events_api_arn).apply(lambda values: consumer_policy(*values)),
            opts=child,
        )

        code = consumer_archive()
        function_opts = pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group])
        function_args = apply_transform(t, "function", {
            "name": args.physical_name,
            "runtime": "python3.12",
            "architectures": ["arm64"],
            "handler": "fanout_consumer.handler.handler",
            "code": code,
            "role": role.arn,
            "timeout": 30,
            "memory_size": 256,
            "environment": {"variables": {
                "GRAPHQL_URL": args.graphql_url,
                "MAX_BATCH_BYTES": str(args.max_batch_bytes),
                **({"EVENTS_URL": args.events_url} if args.events_url is not None else {}),
            }},
            "logging_config": {"log_format": "JSON", "log_group": log_group.name},
            "tags": args.tags,
        }, function_opts)
        function = aws.lambda_.Function(f"{name}-consumer", **function_args, opts=function_opts)

        mapping_args = apply_transform(t, "eventSourceMapping", {
            "event_source_arn": args.stream_arn,
            "function_name": function.arn,
            "starting_position": "LATEST",
            "batch_size": 1000,
            "maximum_batching_window_in_seconds": batching_window_seconds(args.flush_interval_ms),
            # One poller per shard keeps each room (one partition, one shard) in order.
            "parallelization_factor": 1,
            "maximum_retry_attempts": 10,
            "maximum_record_age_in_seconds": args.max_record_age_seconds,
            "bisect_batch_on_function_error": True,
            "function_response_types": ["ReportBatchItemFailures"],
            "destination_config": {"on_failure": {"destination_arn": queue.arn}},
            "filter_criteria": {"filters": [{"pattern": json.dumps(EVENTS_STREAM_FILTER if args.events_url is not None
                                                                   else STREAM_FILTER)},
                                            {"pattern": json.dumps(DELETION_FILTER)}]},
            "tags": args.tags,
        }, child)
        aws.lambda_.EventSourceMapping(f"{name}-stream", **mapping_args, opts=child)

        self._alarms(name, args, function, queue)
        self.function_name = function.name
        self.failure_queue_url = queue.url
        self.register_outputs({"functionName": self.function_name, "failureQueueUrl": self.failure_queue_url})

    def _alarms(self, name, args: BatchFanoutArgs, function, queue) -> None:
        # Late delivery is the failure users notice: alarm when the consumer falls more than
        # five flushes behind, on any error, on anything reaching the failure queue, and when
        # it stopped: messages are written but the consumer is not invoked. The first three
        # have no data while the consumer is idle, so they cannot see a consumer that stopped.
        behind_ms = max(5_000, 5 * args.flush_interval_ms)
        alarms = {
            "iterator-age": single_metric("AWS/Lambda", "IteratorAge", "Maximum", {"FunctionName": function.name},
                                          threshold=behind_ms),
            "errors": single_metric("AWS/Lambda", "Errors", "Sum", {"FunctionName": function.name}),
            "failed-records": single_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                                            {"QueueName": queue.name}),
            "stopped": consumer_stopped(args.table_name, function.name),
        }
        for suffix, alarm in alarms.items():
            opts = pulumi.ResourceOptions(parent=self)
            alarm_args = apply_transform(args.transform, "alarms", {
                "name": f"{args.physical_name}-{suffix}",
                **alarm,
                **notify(args.alarm_topic_arn),
                "tags": args.tags,
            }, opts)
            aws.cloudwatch.MetricAlarm(f"{name}-{suffix}", **alarm_args, opts=opts)


def consumer_archive() -> pulumi.AssetArchive:
    return package_archive(fanout_consumer)


def consumer_stopped(table_name: pulumi.Input[str], function_name: pulumi.Input[str]) -> dict:
    """Three minutes in a row with new chat lines written and no consumer invocation. Messages are
    PutItem (sendMessage) or, in slow mode and for replies, TransactWriteItems; moderation writes
    transactions too, so a moderation-only minute may count (a stopped consumer is what matters).
    With no chat at all, no metric has data: not an alarm."""
    def metric(query_id, namespace, name, stat, dimensions):
        return {"id": query_id, "return_data": False, "metric": {
            "namespace": namespace, "metric_name": name, "stat": stat, "period": 60, "dimensions": dimensions}}

    return {
        "metric_queries": [
            metric("put", "AWS/DynamoDB", "SuccessfulRequestLatency", "SampleCount",
                   {"TableName": table_name, "Operation": "PutItem"}),
            metric("transacted", "AWS/DynamoDB", "SuccessfulRequestLatency", "SampleCount",
                   {"TableName": table_name, "Operation": "TransactWriteItems"}),
            metric("invoked", "AWS/Lambda", "Invocations", "Sum", {"FunctionName": function_name}),
            {"id": "stopped", "return_data": True, "label": "messages written, consumer not invoked",
             "expression": "IF(FILL(put, 0) + FILL(transacted, 0) > 0 AND FILL(invoked, 0) == 0, 1, 0)"},
        ],
        "evaluation_periods": 3,
        "datapoints_to_alarm": 3,
        "threshold": 1,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
    }


def consumer_policy(table_arn: str, api_arn: str, log_group_arn: str, queue_arn: str,
                    events_api_arn: str | None = None) -> str:
    """Read this table's stream, call only publishBatch on this API (events stacks: pendingBatch
    too, and publish to the Event API's rooms namespace), log, dead-letter."""
    graphql = [f"{api_arn}/types/Mutation/fields/publishBatch"]
    events = []
    if events_api_arn:
        graphql.append(f"{api_arn}/types/Query/fields/pendingBatch")
        events = [{"Effect": "Allow", "Action": "appsync:EventPublish",
                   "Resource": [f"{events_api_arn}/channelNamespace/rooms",
                                f"{events_api_arn}/channelNamespace/rooms/*"]}]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": STREAM_READ_ACTIONS, "Resource": f"{table_arn}/stream/*"},
            {"Effect": "Allow", "Action": "appsync:GraphQL",
             "Resource": graphql if len(graphql) > 1 else graphql[0]},
            *events,
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [log_group_arn, f"{log_group_arn}:*"]},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn},
        ],
    })
