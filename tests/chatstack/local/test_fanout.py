"""The local stream consumer against moto's DynamoDB stream (moto server on loopback:
in-process `mock_aws` answers DescribeStream with 404 "Not yet implemented")."""

import logging
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chatstack.local.fanout import LocalStreamConsumer
from chatstack.planning.table_design import boto3_table_definition
from fanout_consumer.publisher import DuplicateBatch, PublishError


@pytest.fixture
def table(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
        # moto's backends are process-wide: a table name of its own per test
        name = f"chat-{uuid.uuid4().hex[:8]}"
        description = dynamodb.create_table(**boto3_table_definition(name))["TableDescription"]
        yield name, dynamodb, boto3.client("dynamodbstreams", endpoint_url=endpoint), description["LatestStreamArn"]
    finally:
        server.stop()


def put(table, room, n, kind="MESSAGE"):
    name, dynamodb = table[0], table[1]
    item = {
        "pk": {"S": f"ROOM#{room}"}, "sk": {"S": f"MSG#{n:04d}"}, "type": {"S": kind}, "roomId": {"S": room},
        "messageId": {"S": f"{n:04d}"}, "sender": {"S": "alice"}, "message": {"S": f"m{n}"},
        "createdAt": {"S": "2026-11-28T03:00:00.000Z"}, "replyCount": {"N": "0"},
    }
    if kind == "THREAD":  # a reply to message 0001, as writeReply stores it
        item.update(pk={"S": f"ROOM#{room}#MSG#0001"}, sk={"S": f"REPLY#{n:04d}"}, messageId={"S": "0001"},
                    replyId={"S": f"R{n:04d}"})
    dynamodb.put_item(TableName=name, Item=item)


def test_one_publish_per_room_per_flush_in_order(table):
    _, _, streams, arn = table
    published = []
    consumer = LocalStreamConsumer(streams, arn, lambda planned, timeout: published.append(planned))
    consumer.start_at_latest()
    for n in range(6):
        put(table, "r1" if n % 3 else "r2", n)
    put(table, "r1", 99, kind="THREAD")
    put(table, "r1", 100, kind="FANOUT")  # not a chat line
    assert consumer.flush() == 8
    # rooms are published concurrently: order within a room, not across rooms; the reply rides in r1's batch
    assert sorted((p.room_id, [m.message_id for m in p.messages], [r.reply_id for r in p.replies])
                  for p in published) == [("r1", ["0001", "0002", "0004", "0005"], ["R0099"]),
                                          ("r2", ["0000", "0003"], [])]
    assert consumer.flush() == 0 and len(published) == 2  # nothing new, nothing published


def test_failed_publish_is_retried_from_the_failed_record(table):
    _, _, streams, arn = table
    attempts, delivered = [], []

    def flaky(publish, timeout):
        attempts.append(publish.room_id)
        if len(attempts) == 1:
            raise PublishError("throttled")
        if any(m.message_id in {d.message_id for d in delivered} for m in publish.messages):
            raise DuplicateBatch(publish.room_id)
        delivered.extend(publish.messages)

    consumer = LocalStreamConsumer(streams, arn, flaky)
    consumer.start_at_latest()
    for n in range(3):
        put(table, "r1", n)
    consumer.flush()
    assert delivered == []
    consumer.flush()
    assert [m.message_id for m in delivered] == ["0000", "0001", "0002"]
