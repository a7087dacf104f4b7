"""moto_speedups: Query on one partition and item-level transaction rollback answer exactly
what moto's own code answers (compared side by side on random tables), and a cancelled
transaction leaves items and stream as they were."""

from __future__ import annotations

import random

import boto3
import pytest
from moto import mock_aws

from chatstack.local import moto_speedups

TABLE = "chat"


@pytest.fixture()
def dynamodb(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    moto_speedups.apply()
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"},
                                  {"AttributeName": "author", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "byAuthor", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "author", "KeyType": "HASH"},
                                                   {"AttributeName": "sk", "KeyType": "RANGE"}]}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def moto_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own Query and serializer, for the side-by-side comparison."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)
    monkeypatch.setattr(DynamoHandler, "serialized", DynamoHandler.serialized.__wrapped__)


def item_operations(client) -> list[dict]:
    """One of each item operation, binary, sets, nested and null values included."""
    item = {"pk": {"S": "ROOM#9"}, "sk": {"S": "MSG#1"}, "bin": {"B": b"\x00\xff"}, "bins": {"BS": [b"a", b"b"]},
            "nums": {"NS": ["1", "2.5"]}, "tags": {"SS": ["x"]}, "none": {"NULL": True}, "ok": {"BOOL": False},
            "nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "two"}, {"M": {}}]}}}}
    key = {"pk": item["pk"], "sk": item["sk"]}
    answers = [client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD"),
               client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD"),
               client.get_item(TableName=TABLE, Key=key),
               client.get_item(TableName=TABLE, Key={**key, "sk": {"S": "no"}}),
               client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET n = :n",
                                  ExpressionAttributeValues={":n": {"N": "3"}}, ReturnValues="ALL_NEW"),
               client.scan(TableName=TABLE, Limit=3),
               client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {**key, "sk": {"S": "no"}}]}}),
               client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": {**item,
                                                                                      "sk": {"S": "MSG#2"}}}}]}),
               client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
               client.transact_write_items(TransactItems=[{"Delete": {"TableName": TABLE, "Key": key}}]),
               client.delete_item(TableName=TABLE, Key={**key, "sk": {"S": "MSG#2"}}, ReturnValues="ALL_OLD")]
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_item_answers_are_what_motos_serializer_writes(dynamodb, monkeypatch):
    fast = item_operations(dynamodb)
    moto_only(monkeypatch)
    assert item_operations(dynamodb) == fast
    assert fast[2]["Item"]["bin"] == {"B": b"\x00\xff"} and fast[2]["Item"]["nested"]["M"]["list"]["L"][2] == {"M": {}}


def query_pages(client, **params) -> list[dict]:
    pages, start = [], None
    while True:
        page = client.query(TableName=TABLE, **params, **({"ExclusiveStartKey": start} if start else {}))
        pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def random_items(rng: random.Random, count: int, start: int = 0) -> list[dict]:
    return [{"pk": {"S": f"ROOM#{rng.randrange(6)}"},
             "sk": {"S": rng.choice(["MSG#", "THREAD#", "SETTINGS#"]) + f"{rng.randrange(10**6):07d}"},
             "author": {"S": f"user{rng.randrange(5)}"}, "n": {"N": str(start + n)}} for n in range(count)]


def room_queries() -> list[dict]:
    queries = []
    for room in range(7):  # room 6 has no items
        values = {":p": {"S": f"ROOM#{room}"}}
        between = {**values, ":a": {"S": "MSG#0200000"}, ":b": {"S": "THREAD#0500000"}}
        queries += [
            {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values},
            {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values, "Limit": 7,
             "ScanIndexForward": False},
            {"KeyConditionExpression": "pk = :p AND begins_with(sk, :m)", "Limit": 5,
             "ExpressionAttributeValues": {**values, ":m": {"S": "MSG#"}}},
            {"KeyConditionExpression": "pk = :p AND begins_with(sk, :m)", "Limit": 4, "ScanIndexForward": False,
             "ExpressionAttributeValues": {**values, ":m": {"S": "THREAD#"}}},
            {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "Limit": 4, "ScanIndexForward": False,
             "ExpressionAttributeValues": between},
            {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": between},
            {"KeyConditionExpression": "pk = :p", "FilterExpression": "n > :n", "Limit": 9,
             "ExpressionAttributeValues": {**values, ":n": {"N": "200"}}, "ProjectionExpression": "sk, n"},
        ]
        for operator in ("=", "<", "<=", ">", ">="):
            for forward in (True, False):
                queries.append({"KeyConditionExpression": f"pk = :p AND sk {operator} :s", "Limit": 6,
                                "ScanIndexForward": forward,
                                "ExpressionAttributeValues": {**values, ":s": {"S": "SETTINGS#0500000"}}})
    queries.append({"IndexName": "byAuthor", "KeyConditionExpression": "author = :a", "Limit": 11,
                    "ExpressionAttributeValues": {":a": {"S": "user3"}}})
    return queries


def test_partition_query_answers_what_moto_answers(dynamodb, monkeypatch):
    rng = random.Random(31)
    items = random_items(rng, 400)
    for item in items:
        dynamodb.put_item(TableName=TABLE, Item=item)
    for _ in range(2):  # then again after keys came and went
        fast = [query_pages(dynamodb, **q) for q in room_queries()]
        with monkeypatch.context() as original:
            moto_only(original)
            reference = [query_pages(dynamodb, **q) for q in room_queries()]
        assert fast == reference
        assert sum(len(page["Items"]) for pages in fast for page in pages) > 400  # the queries found items
        # keys come and go: the partitions' kept order must follow
        for item in rng.sample(items, 150):
            dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
        for item in random_items(rng, 100, start=1000):
            dynamodb.put_item(TableName=TABLE, Item=item)
        dynamodb.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}}
                                                        for i in rng.sample(items, 20)]})


def stream_records(client) -> list[dict]:
    """The table's stream as moto holds it (moto's in-process mock serves no Streams API)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE).stream_shard
    return [record.to_json() for record in shard.items]


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(dynamodb):
    key = {"pk": {"S": "ROOM#1"}, "sk": {"S": "SLOWMODE"}}
    dynamodb.put_item(TableName=TABLE, Item={**key, "until": {"N": "5"}})
    before = stream_records(dynamodb)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "ROOM#1"}, "sk": {"S": "MSG#1"}}}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "ROOM#2"}, "sk": {"S": "MSG#2"}},
                        "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}},
            {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET #u = :u",
                        "ConditionExpression": "#u < :old", "ExpressionAttributeNames": {"#u": "until"},
                        "ExpressionAttributeValues": {":u": {"N": "9"}, ":old": {"N": "1"}}}},
        ])
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["until"] == {"N": "5"}
    for absent in ({"pk": {"S": "ROOM#1"}, "sk": {"S": "MSG#1"}}, {"pk": {"S": "ROOM#2"}, "sk": {"S": "MSG#2"}}):
        assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=absent)
    assert stream_records(dynamodb) == before
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "ROOM#1"}, "sk": {"S": "MSG#1"}}}},
        {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET #u = :u",
                    "ExpressionAttributeNames": {"#u": "until"}, "ExpressionAttributeValues": {":u": {"N": "9"}}}},
    ])
    assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["until"] == {"N": "9"}
    assert [r["eventName"] for r in stream_records(dynamodb)[len(before):]] == ["INSERT", "MODIFY"]


def handler_calls(region: str, access_key_id: str):
    """(target, body) -> answer through the handler the local stack's socket calls, each
    region a moto backend of its own (moto's in-process mock serves no Streams API)."""
    import json

    from chatstack.local.direct_dynamodb import moto_dynamodb_handler

    moto_speedups.apply()
    handle = moto_dynamodb_handler(region, access_key_id)

    def call(target: str, body: dict) -> dict:
        status, answer = handle(target, json.dumps(body).encode())
        assert status == 200, answer
        return json.loads(answer)

    return call


def test_stream_records_are_what_motos_serializer_writes(monkeypatch):
    """GetRecords through the handler the local stack calls (moto's in-process mock serves no
    Streams API), with and without the direct answer."""

    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler


    call = handler_calls("eu-west-1", "AKIATESTSTREAMS")

    call("DynamoDB_20120810.CreateTable", {
        "TableName": "streamed", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    for n in range(30):
        call("DynamoDB_20120810.PutItem", {"TableName": "streamed", "Item": {
            "pk": {"S": "ROOM#1"}, "sk": {"S": f"MSG#{n % 20:03d}"}, "n": {"N": str(n)}, "b": {"B": "AAE="},
            "tags": {"SS": ["a", "b"]}, "m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": True}]}}}}})
    call("DynamoDB_20120810.DeleteItem", {"TableName": "streamed", "Key": {"pk": {"S": "ROOM#1"},
                                                                           "sk": {"S": "MSG#001"}}})
    arn = call("DynamoDB_20120810.DescribeTable", {"TableName": "streamed"})["Table"]["LatestStreamArn"]
    shard = call("DynamoDBStreams_20120810.DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"][0]

    def records() -> dict:
        iterator = call("DynamoDBStreams_20120810.GetShardIterator", {
            "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        answer = call("DynamoDBStreams_20120810.GetRecords", {"ShardIterator": iterator, "Limit": 100})
        answer.pop("NextShardIterator")  # a new iterator per call
        return answer

    fast = records()
    monkeypatch.setattr(DynamoDBStreamsHandler, "serialized", DynamoDBStreamsHandler.serialized.__wrapped__)
    assert records() == fast
    assert [r["eventName"] for r in fast["Records"]].count("MODIFY") == 10 and len(fast["Records"]) == 31
    assert isinstance(fast["Records"][0]["dynamodb"]["ApproximateCreationDateTime"], (int, float))


def test_shard_iterators_expire_after_15_minutes_as_dynamodbs_do(monkeypatch):

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodbstreams.models import dynamodbstreams_backends


    call = handler_calls("ap-south-1", "AKIATESTITERATORS")

    call("DynamoDB_20120810.CreateTable", {
        "TableName": "polled", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}})
    arn = call("DynamoDB_20120810.DescribeTable", {"TableName": "polled"})["Table"]["LatestStreamArn"]
    shard = call("DynamoDBStreams_20120810.DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"][0]
    clock = [1_000_000.0]
    monkeypatch.setattr(moto_speedups.time, "time", lambda: clock[0])
    iterator = call("DynamoDBStreams_20120810.GetShardIterator", {
        "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "LATEST"})["ShardIterator"]
    for _ in range(100):  # a consumer polling every 10 s for 1,000 s
        iterator = call("DynamoDBStreams_20120810.GetRecords", {"ShardIterator": iterator})["NextShardIterator"]
        clock[0] += 10
    backend = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID]["ap-south-1"]
    assert iterator in backend.shard_iterators
    assert 80 <= len(backend.shard_iterators) <= 92  # the last 15 minutes' worth, not all 101
