"""The moto process as the local stack starts it: two local stacks of one name (the web tests
serve `dev` twice at once) share a stack directory, and each one's resolvers must keep
reaching its own moto."""

from __future__ import annotations

import json
import socket

import pytest
from botocore.exceptions import ClientError

from chatstack.local import direct_dynamodb
from chatstack.local.direct_dynamodb import DirectDynamoDB
from chatstack.local.moto_process import MotoProcess

TABLE = {"TableName": "only-in-first", "BillingMode": "PAY_PER_REQUEST",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}


def _create_table(path) -> None:
    # CreateTable is not among the resolvers' operations: one frame by hand, as DirectDynamoDB sends it
    target = b"DynamoDB_20120810.CreateTable"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        direct_dynamodb._send_frame(connection, len(target), target + json.dumps(TABLE).encode())
        status, answer = direct_dynamodb._read_frame(connection)
    assert status == 200, answer


def test_two_servers_in_one_stack_directory_each_keep_their_own_socket(tmp_path):
    first = MotoProcess.start(tmp_path, "us-east-1")
    try:
        _create_table(first.direct_socket)
        second = MotoProcess.start(tmp_path, "us-east-1")
        try:
            assert second.direct_socket != first.direct_socket
            # connections made after the second server started still reach the first one's data
            assert DirectDynamoDB(first.direct_socket).describe_table(TableName="only-in-first")["Table"]
            with pytest.raises(ClientError) as refused:
                DirectDynamoDB(second.direct_socket).describe_table(TableName="only-in-first")
            assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
        finally:
            second.stop()
        assert not second.direct_socket.exists()  # a server removes its own socket
        assert DirectDynamoDB(first.direct_socket).describe_table(TableName="only-in-first")["Table"]
    finally:
        first.stop()


def test_a_socket_left_by_a_killed_server_is_removed_at_the_next_start(tmp_path):
    first = MotoProcess.start(tmp_path, "us-east-1")
    first.process.kill()  # kill -9: no chance to remove its socket
    first.process.wait()
    first.stop()
    assert first.direct_socket.exists()
    second = MotoProcess.start(tmp_path, "us-east-1")
    try:
        assert not first.direct_socket.exists()
        assert second.direct_socket.exists()
    finally:
        second.stop()
