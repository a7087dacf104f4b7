"""The APPSYNC_JS runtime library (runtime_js/): outputs AWS documents, and DynamoDB helpers
checked against moto."""

from __future__ import annotations

import json

import pytest

from appsync_local.datasources import DynamoDBDataSource
from appsync_local.engine import JSEngine
from tests.appsync_local.conftest import TABLE, FakeClock, SequentialIds


@pytest.fixture(scope="module")
def js() -> JSEngine:
    return JSEngine(clock=FakeClock(start=1_700_000_000.0, step=0), id_factory=SequentialIds())


# ---------------------------------------------------------------- util.dynamodb (devguide outputs)


def test_to_map_values_documented_output(js):
    assert js.evaluate("util.dynamodb.toMapValues({ foo: 'bar', baz: 1234, beep: ['boop'] })") == {
        "foo": {"S": "bar"},
        "baz": {"N": 1234},
        "beep": {"L": [{"S": "boop"}]},
    }


def test_to_dynamodb_and_to_map_documented_output(js):
    expected = {"M": {"foo": {"S": "bar"}, "baz": {"N": 1234}, "beep": {"L": [{"S": "boop"}]}}}
    assert js.evaluate("util.dynamodb.toDynamoDB({ foo: 'bar', baz: 1234, beep: ['boop'] })") == expected
    assert js.evaluate("util.dynamodb.toMap({ foo: 'bar', baz: 1234, beep: ['boop'] })") == expected


def test_scalar_converters_documented_outputs(js):
    assert js.evaluate(
        "[util.dynamodb.toDynamoDB('foo'), util.dynamodb.toString('foo'), util.dynamodb.toNumber(12345),"
        " util.dynamodb.toBoolean(true), util.dynamodb.toNull(), util.dynamodb.toBinary('foo'),"
        " util.dynamodb.toStringSet(['foo', 'bar', 'baz']), util.dynamodb.toNumberSet([1, 23, 4.56]),"
        " util.dynamodb.toBinarySet(['foo', 'bar', 'baz']), util.dynamodb.toString(null)]"
    ) == [
        {"S": "foo"},
        {"S": "foo"},
        {"N": 12345},
        {"BOOL": True},
        {"NULL": None},
        {"B": "foo"},
        {"SS": ["foo", "bar", "baz"]},
        {"NS": [1, 23, 4.56]},
        {"BS": ["foo", "bar", "baz"]},
        None,
    ]


def test_to_list_documented_output(js):
    assert js.evaluate("util.dynamodb.toList(['foo', 123, { bar: 'baz' }])") == {
        "L": [{"S": "foo"}, {"N": 123}, {"M": {"bar": {"S": "baz"}}}]
    }


def test_s3_object_round_trip(js):
    value = js.evaluate("util.dynamodb.toS3Object('foo', 'bar', 'baz')")
    assert json.loads(value["S"]) == {"s3": {"key": "foo", "bucket": "bar", "region": "baz"}}
    assert js.evaluate("util.dynamodb.fromS3ObjectJson(util.dynamodb.toS3Object('foo', 'bar', 'baz', 'beep').S)") == {
        "key": "foo",
        "bucket": "bar",
        "region": "baz",
        "version": "beep",
    }


# ---------------------------------------------------------------- util.transform


def test_to_dynamodb_filter_expression_documented_output(js):
    # AWS-recorded (localstack/appsync-utils snapshots): no space after the comma, each condition wrapped
    assert js.evaluate("util.transform.toDynamoDBFilterExpression({ title: { contains: 'Hello World' } })") == (
        '{"expression":"(contains(#title,:title_contains))","expressionNames":{"#title":"title"},'
        '"expressionValues":{":title_contains":{"S":"Hello World"}}}'
    )


def test_filter_expression_combinators(js):
    out = json.loads(
        js.evaluate(
            "util.transform.toDynamoDBFilterExpression({ votes: { between: [1, 5] },"
            " or: [{ title: { beginsWith: 'a' } }, { title: { eq: 'b' } }], not: { tag: { in: ['x', 'y'] } } })"
        )
    )
    assert out["expression"] == (
        "(#votes BETWEEN :votes_between_start AND :votes_between_end) AND "
        "((begins_with(#title,:or_0_title_beginsWith)) OR (#title = :or_1_title_eq)) AND "
        "(NOT (#tag IN (:not_tag_in_0, :not_tag_in_1)))"
    )
    assert out["expressionValues"][":not_tag_in_1"] == {"S": "y"}


def test_unrenderable_filters_give_null(js):
    assert js.evaluate("util.transform.toDynamoDBFilterExpression({ v: { foo: 1 } })") is None
    assert js.evaluate("util.transform.toDynamoDBConditionExpression(null)") is None


def test_condition_expression_attribute_exists(js):
    out = json.loads(js.evaluate("util.transform.toDynamoDBConditionExpression({ id: { attributeExists: false } })"))
    assert out == {
        "expression": "(attribute_not_exists(#id))", "expressionNames": {"#id": "id"}, "expressionValues": {},
    }


def test_to_subscription_filter(js):
    out = js.evaluate(
        "util.transform.toSubscriptionFilter({ severity: { ge: 7 }, classification: { eq: 'security' },"
        " group: { in: ['admin', 'ops'] } }, ['classification'])"
    )
    assert out == {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "severity", "operator": "ge", "value": 7},
                    {"fieldName": "group", "operator": "in", "value": ["admin", "ops"]},
                ]
            }
        ]
    }
    ored = js.evaluate(
        "util.transform.toSubscriptionFilter({ roomId: { eq: 'r' }, or: [{ a: { eq: 1 } }, { b: { eq: 2 } }] })"
    )
    assert [[f["fieldName"] for f in g["filters"]] for g in ored["filterGroup"]] == [["roomId", "a"], ["roomId", "b"]]


# ---------------------------------------------------------------- util (misc)


def test_matches_is_a_whole_string_match(js):
    assert js.evaluate("[util.matches('a*b', 'aaaaab'), util.matches('a', 'ab'), util.matches('[a-z]+', null)]") == [
        True,
        False,
        False,
    ]


def test_vtl_only_helpers_are_not_there(js):
    # @aws-appsync/utils declares none of these; code calling them fails on AWS, so it fails here too
    assert js.evaluate(
        "['isNull', 'isNullOrEmpty', 'isNullOrBlank', 'defaultIfNull', 'typeOf', 'isString', 'isMap', 'isList']"
        ".filter((name) => typeof util[name] !== 'undefined')"
    ) == []


def test_json_parse_of_invalid_text_gives_a_blank_string(js):
    assert js.evaluate("[JSON.parse('{\"a\":1}'), JSON.parse('{not json')]") == [{"a": 1}, ""]


def test_codecs(js):
    assert js.evaluate("util.base64Encode('hello wörld')") == "aGVsbG8gd8O2cmxk"
    assert js.evaluate("util.base64Decode('aGVsbG8gd8O2cmxk')") == "hello wörld"
    assert js.evaluate("util.urlEncode('a b&c=d~*')") == "a+b%26c%3Dd%7E*"
    assert js.evaluate("util.urlDecode('a+b%26c')") == "a b&c"
    assert js.evaluate("util.escapeJavaScript('a\"b\\n')") == 'a\\"b\\\\n'.replace("\\\\", "\\")


def test_time_helpers(js):
    assert js.evaluate("util.time.nowFormatted('yyyy-MM-dd HH:mm:ss')") == "2023-11-14 22:13:20"
    assert js.evaluate("util.time.nowFormatted('yyyy-MM-dd HH:mm:ssZ', '-07:00')") == "2023-11-14 15:13:20-0700"
    assert js.evaluate("util.time.nowFormatted('yyyy-MM-dd HH:mm:ssZ', 'Europe/Berlin')") == "2023-11-14 23:13:20+0100"
    assert js.evaluate("util.time.nowFormatted('HH:mm XXXXX', '-07:00:30')") == "15:12 -07:00:30"
    assert js.evaluate("util.time.epochMilliSecondsToISO8601(1700000000000)") == "2023-11-14T22:13:20Z"
    assert js.evaluate("util.time.epochMilliSecondsToISO8601(1700000000123)") == "2023-11-14T22:13:20.123Z"
    assert js.evaluate("util.time.epochMilliSecondsToSeconds(1700000000999)") == 1_700_000_000
    assert js.evaluate("util.time.parseISO8601ToEpochMilliSeconds('2018-02-01T17:21:05.180+08:00')") == 1517476865180
    assert (
        js.evaluate(
            "util.time.parseFormattedToEpochMilliSeconds('2018-02-01 09:21:05 UTC+0000',"
            " \"yyyy-MM-dd HH:mm:ss 'UTC'Z\")"
        )
        == 1517476865000
    )
    assert js.evaluate("util.time.epochMilliSecondsToFormatted(1517476865180, 'EEE, d MMM yyyy')") == "Thu, 1 Feb 2018"


def test_math_and_str(js):
    assert js.evaluate("[util.math.roundNum(2.5), util.math.minVal(3, 1), util.math.maxVal(3, 1)]") == [3, 1, 3]
    n = js.evaluate("util.math.randomWithinRange(5, 6)")
    assert n in (5, 6)
    assert js.evaluate("util.str.normalize('e\\u0301', 'nfc')") == "\u00e9"


def test_auth_type_comes_from_the_host():
    from appsync_local.executor import auth_type_of

    assert auth_type_of(None) == "API Key Authorization"
    assert auth_type_of({"accountId": "1", "userArn": "arn"}) == "IAM Authorization"
    assert auth_type_of({"username": "u", "sub": "s", "defaultAuthStrategy": "ALLOW"}) == "User Pool Authorization"


# ---------------------------------------------------------------- @aws-appsync/utils/dynamodb


def ddb(js: JSEngine, expression: str):
    handle = js.load(
        "import * as ddb from '@aws-appsync/utils/dynamodb';\n"
        f"export function request(ctx) {{ const {{ operations }} = ddb; return {expression}; }}\n"
        "export function response(ctx) { return ctx.result; }"
    )
    out = js.call(handle, "request", {"arguments": {}, "stash": {}, "info": {}})
    assert out["status"] == "ok", out
    return out["value"]


def test_helper_request_shapes(js):
    assert ddb(js, "ddb.get({ key: { id: 1 }, consistentRead: true })") == {
        "operation": "GetItem",
        "key": {"id": {"N": 1}},
        "consistentRead": True,
    }
    put = ddb(js, "ddb.put({ key: { id: 'a' }, item: { n: 1 }, condition: { id: { attributeExists: false } } })")
    assert put == {
        "operation": "PutItem",
        "key": {"id": {"S": "a"}},
        "attributeValues": {"n": {"N": 1}},
        "condition": {"expression": "(attribute_not_exists(#id))", "expressionNames": {"#id": "id"}},
    }
    query = ddb(
        js, "ddb.query({ query: { pk: { eq: 'p' }, sk: { beginsWith: 'MSG#' } }, limit: 2, scanIndexForward: false })"
    )
    assert query["query"]["expression"] == "(#pk = :pk_eq) AND (begins_with(#sk,:sk_beginsWith))"
    assert query["limit"] == 2 and query["scanIndexForward"] is False
    assert ddb(js, "ddb.toNumberSet([1, 2, 3])") == {"NS": ["1", "2", "3"]}
    assert ddb(js, "ddb.get({ key: { id: 'a' }, projection: ['id', 'nested.object[1]'] })")["projection"] == {
        "expression": "#id, #nested.#object[1]",
        "expressionNames": {"#id": "id", "#nested": "nested", "#object": "object"},
    }
    assert ddb(js, "operations.increment(10)") == {"type": "OPERATION_INCREMENT", "by": 10}
    update = ddb(
        js, "ddb.update({ key: { id: 'x' }, update: { gone: operations.remove(), n: operations.increment() } })"
    )
    assert update["update"] == {
        "expression": "SET #expName_1 = #expName_1 + :expValue_1 REMOVE #expName_2",
        "expressionNames": {"#expName_1": "n", "#expName_2": "gone"},
        "expressionValues": {":expValue_1": {"N": 1}},
    }


@pytest.fixture
def table(dynamodb) -> DynamoDBDataSource:
    return DynamoDBDataSource(dynamodb, TABLE)


KEY = "{ pk: 'P', sk: 'S' }"


def test_update_operations_against_moto(js, table):
    table.invoke(
        ddb(js, f"ddb.put({{ key: {KEY}, item: {{ count: 5, list: [2], gone: 'x', nested: {{ a: 1, b: 2 }} }} }})")
    )
    result = table.invoke(
        ddb(
            js,
            f"ddb.update({{ key: {KEY}, update: {{ count: operations.increment(3), down: operations.add(10),"
            " list: operations.append([3]), gone: operations.remove(), nested: { a: 9 },"
            " address: operations.add({ city: 'NYC' }) } })",
        )
    )
    assert result["count"] == 8
    assert result["list"] == [2, 3]
    assert "gone" not in result
    assert result["nested"] == {"a": 9, "b": 2}
    assert result["address"] == {"city": "NYC"}
    result = table.invoke(
        ddb(
            js,
            f"ddb.update({{ key: {KEY}, update: {{ count: operations.decrement(), list: operations.prepend([1]),"
            " nested: operations.replace({ z: 0 }) } })",
        )
    )
    assert result["count"] == 7
    assert result["list"] == [1, 2, 3]
    assert result["nested"] == {"z": 0}
    result = table.invoke(
        ddb(js, f"ddb.update({{ key: {KEY}, update: {{ list: [operations.updateListItem(20, 1)] }} }})")
    )
    assert result["list"] == [1, 20, 3]


def test_remove_query_scan_batch_and_transact_helpers_against_moto(js, table):
    table.invoke(
        ddb(js, "ddb.batchPut({ tables: { 'chat-test': [{ pk: 'A', sk: '1', v: 1 }, { pk: 'A', sk: '2', v: 2 }] } })")
    )
    got = table.invoke(
        ddb(js, "ddb.batchGet({ tables: { 'chat-test': { keys: [{ pk: 'A', sk: '2' }, { pk: 'A', sk: '9' }] } } })")
    )
    assert got["data"]["chat-test"][0]["v"] == 2 and got["data"]["chat-test"][1] is None
    page = table.invoke(ddb(js, "ddb.query({ query: { pk: { eq: 'A' } }, filter: { v: { gt: 1 } } })"))
    assert [i["sk"] for i in page["items"]] == ["2"] and page["scannedCount"] == 2
    assert len(table.invoke(ddb(js, "ddb.scan({ limit: 10 })"))["items"]) == 2
    removed = table.invoke(ddb(js, "ddb.remove({ key: { pk: 'A', sk: '1' } })"))
    assert removed["v"] == 1
    tx = table.invoke(
        ddb(
            js,
            "ddb.transactGet({ items: [{ table: 'chat-test', key: { pk: 'A', sk: '2' } },"
            " { table: 'chat-test', key: { pk: 'A', sk: '1' } }] })",
        )
    )
    assert tx["items"][0]["v"] == 2 and tx["items"][1] is None
    table.invoke(ddb(js, "ddb.batchDelete({ tables: { 'chat-test': [{ pk: 'A', sk: '2' }] } })"))
    assert table.invoke(ddb(js, "ddb.scan({})"))["items"] == []
    actions = {a for call in table.calls for a in call.iam_actions}
    assert {
        "dynamodb:BatchWriteItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
    } <= actions


def test_transact_write_cancellation_reasons(js, table):
    from appsync_local.datasources import DataSourceError

    request = ddb(
        js,
        "ddb.transactWrite({ items: [{ putItem: { table: 'chat-test', key: { pk: 'T', sk: '1' }, item: { v: 1 } } },"
        " { conditionCheck: { table: 'chat-test', key: { pk: 'T', sk: '2' },"
        " condition: { pk: { attributeExists: true } } } }] })",
    )
    with pytest.raises(DataSourceError) as caught:
        table.invoke(request)
    assert caught.value.error_type == "DynamoDB:TransactionCanceledException"
    reasons = caught.value.result["cancellationReasons"]
    assert [r["type"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert table.invoke(ddb(js, "ddb.scan({})"))["items"] == []
    assert [c.iam_actions for c in table.calls if c.operation == "TransactWriteItems"] == [
        ("dynamodb:PutItem", "dynamodb:ConditionCheckItem")
    ]


def test_sync_is_reported_as_unsupported(js, table):
    from appsync_local.datasources import DataSourceError

    with pytest.raises(DataSourceError, match="not supported"):
        table.invoke(ddb(js, "ddb.sync({ limit: 10 })"))
