import json

import pulumi
import pytest

from chatstack.planning.planner import batching_window_seconds
from components.batch_fanout import DELETION_FILTER, STREAM_FILTER, consumer_archive
from tests.conftest import run_stack

FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


def fanout(run, type_: str):
    """The fan-out consumer's resource of `type_` (the archive consumer reads the same stream)."""
    (found,) = [r for r in run.of_type(type_) if r.name.startswith("chat-fanout")]
    return found


@pytest.fixture(scope="module")
def batched():
    return run_stack("dev", fanOutMode="batched", flushIntervalMs="2000")


def test_per_message_stacks_have_no_fanout_consumer(dev):
    assert [r.name for r in dev.of_type(FUNCTION)] == ["chat-archive-consumer"]  # only the archive's
    assert [r.name for r in dev.of_type(MAPPING)] == ["chat-archive-stream"]


def test_consumer_reads_this_tables_stream_with_the_flush_as_batching_window(batched):
    mapping = fanout(batched, MAPPING).inputs
    assert mapping["eventSourceArn"].startswith(
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{batched.outputs['tableName']}/stream/")
    assert mapping["functionName"] == "arn:aws:lambda:us-east-1:123456789012:function:chatstack-dev-fanout"
    assert mapping["maximumBatchingWindowInSeconds"] == 2
    assert mapping["parallelizationFactor"] == 1
    assert mapping["bisectBatchOnFunctionError"] is True
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["maximumRetryAttempts"] > 0
    queue = fanout(batched, "aws:sqs/queue:Queue")
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == (
        f"arn:aws:sqs:us-east-1:123456789012:{queue.inputs['name']}")
    assert [json.loads(f["pattern"]) for f in mapping["filterCriteria"]["filters"]] == [STREAM_FILTER,
                                                                                        DELETION_FILTER]


def test_consumer_role_is_least_privilege(batched):
    (policy,) = [json.loads(p.inputs["policy"]) for p in batched.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name == "chat-fanout-policy"]
    table_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{batched.outputs['tableName']}"
    api_arn = f"arn:aws:appsync:us-east-1:123456789012:apis/{batched.outputs['apiId']}"
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in policy["Statement"]}
    stream_actions = json.dumps(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                 "dynamodb:ListStreams"])
    assert by_action[stream_actions] == f"{table_arn}/stream/*"
    assert by_action['"appsync:GraphQL"'] == f"{api_arn}/types/Mutation/fields/publishBatch"
    assert all("*" != s["Resource"] for s in policy["Statement"])
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams", "appsync:GraphQL", "logs:CreateLogStream", "logs:PutLogEvents",
                       "sqs:SendMessage"}


def test_function_publishes_to_this_api_and_alarms_watch_it(batched):
    function = fanout(batched, FUNCTION).inputs
    assert function["environment"]["variables"]["GRAPHQL_URL"] == batched.outputs["graphqlUrl"]
    assert function["handler"] == "fanout_consumer.handler.handler"
    alarms = {a.inputs.get("metricName", a.inputs["name"]): a.inputs
              for a in batched.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if "archive" not in a.name}
    assert set(alarms) == {"IteratorAge", "Errors", "ApproximateNumberOfMessagesVisible", "5XXError",
                           "chatstack-dev-fanout-stopped", "chatstack-dev-messages-throttles",
                           "ConnectServerError", "SubscribeServerError", "PublishDataMessageServerError",
                           "ConnectClientError", "SubscribeClientError"}
    # the real-time path: any server error, or client errors in bulk (a misconfigured issuer)
    assert alarms["ConnectServerError"]["threshold"] == 0 and alarms["ConnectClientError"]["threshold"] == 100
    assert all(alarms[m]["dimensions"] == {"GraphQLAPIId": batched.outputs["apiId"]}
               for m in ("ConnectServerError", "SubscribeServerError", "PublishDataMessageServerError"))
    throttles = {q["id"]: q for q in alarms["chatstack-dev-messages-throttles"]["metricQueries"]}
    assert {throttles[i]["metric"]["metricName"] for i in ("reads", "writes")} == {"ReadThrottleEvents",
                                                                                  "WriteThrottleEvents"}
    assert alarms["IteratorAge"]["threshold"] == 10_000  # five 2 s flushes behind
    assert alarms["IteratorAge"]["dimensions"] == {"FunctionName": "chatstack-dev-fanout"}


def test_a_consumer_that_stopped_alarms_while_messages_are_written(batched):
    """Idle-time alarms (errors, age) have no data once the consumer is never invoked; this one
    compares chat lines written (PutItem, and TransactWriteItems: slow mode and replies) with
    consumer invocations."""
    [stopped] = [a.inputs for a in batched.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                 if a.inputs["name"] == "chatstack-dev-fanout-stopped"]
    queries = {q["id"]: q for q in stopped["metricQueries"]}
    put, transacted, invoked = (queries[i]["metric"] for i in ("put", "transacted", "invoked"))
    for written, operation in ((put, "PutItem"), (transacted, "TransactWriteItems")):
        assert (written["namespace"], written["metricName"], written["stat"]) == (
            "AWS/DynamoDB", "SuccessfulRequestLatency", "SampleCount")
        assert written["dimensions"] == {"TableName": batched.outputs["tableName"], "Operation": operation}
    assert (invoked["metricName"], invoked["dimensions"]) == ("Invocations", {"FunctionName": "chatstack-dev-fanout"})
    assert queries["stopped"]["returnData"] is True
    assert "FILL(put, 0) + FILL(transacted, 0) > 0 AND FILL(invoked, 0) == 0" in queries["stopped"]["expression"]
    assert (stopped["evaluationPeriods"], stopped["datapointsToAlarm"], stopped["threshold"]) == (3, 3, 1)
    assert stopped["alarmActions"] and stopped["alarmActions"] == stopped["okActions"]


def test_batching_window_is_whole_seconds_within_lambda_limits():
    assert batching_window_seconds(1000) == 1
    assert batching_window_seconds(500) == 0
    assert batching_window_seconds(10_000_000) == 300


@pulumi.runtime.test
def test_component_outputs():
    from chatstack.offline.evaluation import _CloudMocks
    from components.batch_fanout import BatchFanout, BatchFanoutArgs

    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_CloudMocks("unit", "eu-west-1"), project="chatstack", stack="unit")
    fanout = BatchFanout("f", BatchFanoutArgs(
        physical_name="chatstack-unit-fanout", tags={}, table_arn="arn:t", stream_arn="arn:t/stream/x",
        api_arn="arn:a", graphql_url="https://x/graphql", table_name="t"))

    def check(values):
        name, url = values
        assert name == "chatstack-unit-fanout"
        assert url == "https://sqs.eu-west-1.amazonaws.com/123456789012/chatstack-unit-fanout-failed"

    return pulumi.Output.all(fanout.function_name, fanout.failure_queue_url).apply(check)


def test_the_consumer_archive_holds_only_its_source_files_in_a_stable_order():
    archive = consumer_archive()
    names = list(archive.assets)
    assert names == sorted(names) and all(n.startswith("fanout_consumer/") and n.endswith(".py") for n in names)
    assert "fanout_consumer/handler.py" in names and not [n for n in names if "__pycache__" in n]
