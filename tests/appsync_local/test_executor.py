"""Pipeline and unit semantics of LocalResolverRuntime on throwaway manifests."""

from __future__ import annotations

import pytest

from appsync_local.executor import LocalResolverRuntime
from tests.appsync_local.conftest import ENV, TABLE, FakeClock, SequentialIds, all_rows, user, write_manifest

MANIFEST = """
environment: [TABLE_NAME, RETENTION_SECONDS]
dataSources:
  - {name: table, type: AMAZON_DYNAMODB, iamActions: [dynamodb:PutItem, dynamodb:GetItem]}
  - {name: none, type: NONE}
functions:
  - {name: first, file: first.js, dataSource: none}
  - {name: second, file: second.js, dataSource: table}
  - {name: third, file: third.js, dataSource: none}
resolvers:
  - {type: Mutation, field: run, kind: PIPELINE, file: pipeline.js, functions: [first, second, third]}
  - {type: Query, field: unit, kind: UNIT, file: unit.js, dataSource: table}
  - {type: Subscription, field: onThing, kind: UNIT, file: sub.js, dataSource: none}
"""

PIPELINE = """
import { util, runtime } from '@aws-appsync/utils';
export function request(ctx) {
  ctx.stash.log = ['before'];
  if (ctx.args.mode === 'beforeEarly') { runtime.earlyReturn({ early: 'before' }); }
  return { from: 'before' };
}
export function response(ctx) {
  ctx.stash.log.push('after');
  return { prev: ctx.prev.result, log: ctx.stash.log };
}
"""

FIRST = """
import { util, runtime } from '@aws-appsync/utils';
export function request(ctx) {
  ctx.stash.log.push('first.request:' + JSON.stringify(ctx.prev.result));
  if (ctx.args.mode === 'appendError') { util.appendError('soft', 'Warning', null, { n: 1 }); }
  if (ctx.args.mode === 'fail') { util.error('hard', 'Boom', { d: 1 }, { i: 2 }); }
  if (ctx.args.mode === 'skipNext') { runtime.earlyReturn({ skipped: 'first' }); }
  if (ctx.args.mode === 'skipEnd') { runtime.earlyReturn({ skipped: 'all' }, { skipTo: 'END' }); }
  return { payload: { fromFirst: ctx.info.fieldName + '/' + ctx.info.parentTypeName } };
}
export function response(ctx) {
  ctx.stash.log.push('first.response');
  return ctx.result;
}
"""

SECOND = """
import { util } from '@aws-appsync/utils';
export function request(ctx) {
  ctx.stash.log.push('second.request:' + JSON.stringify(ctx.prev.result));
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ pk: 'K', sk: ctx.args.sk || 'S' }),
    attributeValues: util.dynamodb.toMapValues({ n: ctx.args.n || 1 }),
    condition: { expression: 'attribute_not_exists(pk)' },
  };
}
export function response(ctx) {
  ctx.stash.log.push('second.response:' + (ctx.error ? ctx.error.type : 'ok'));
  if (ctx.error && ctx.args.mode !== 'swallow') { util.error(ctx.error.message, ctx.error.type); }
  return ctx.error ? { swallowed: ctx.error.message } : ctx.result;
}
"""

THIRD = """
export function request(ctx) {
  ctx.stash.log.push('third.request');
  return { payload: ctx.prev.result };
}
export function response(ctx) {
  ctx.stash.log.push('third.response');
  return ctx.result;
}
"""

UNIT = """
import { util, runtime } from '@aws-appsync/utils';
import { get } from '@aws-appsync/utils/dynamodb';
export function request(ctx) {
  if (ctx.args.early) { runtime.earlyReturn({ early: true }); }
  if (ctx.args.crash) { return ctx.nothing.here; }
  return get({ key: { pk: 'K', sk: 'S' } });
}
export function response(ctx) {
  return { item: ctx.result, header: ctx.request.headers['x-test'], selection: ctx.info.selectionSetList,
           variables: ctx.info.variables, source: ctx.source, auth: util.authType() };
}
"""

SUB = """
import { util, extensions } from '@aws-appsync/utils';
export function request(ctx) { return { payload: null }; }
export function response(ctx) {
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ roomId: { eq: ctx.args.roomId } }));
  extensions.invalidateSubscriptions({ subscriptionField: 'onThing', payload: { roomId: ctx.args.roomId } });
  return null;
}
"""


@pytest.fixture
def rt(tmp_path, dynamodb) -> LocalResolverRuntime:
    manifest = write_manifest(
        tmp_path,
        MANIFEST,
        {
            "pipeline.js": PIPELINE,
            "first.js": FIRST,
            "second.js": SECOND,
            "third.js": THIRD,
            "unit.js": UNIT,
            "sub.js": SUB,
        },
    )
    return LocalResolverRuntime(manifest, ENV, dynamodb, clock=FakeClock(), id_factory=SequentialIds())


def run(rt, mode=None, **args):
    return rt.resolve("Mutation", "run", arguments={"mode": mode, **args}, identity=user("u"))


def test_pipeline_order_stash_and_prev_result(rt):
    result = run(rt)
    assert result.errors == []
    log = result.data["log"]
    assert log == [
        "before",
        'first.request:{"from":"before"}',
        "first.response",
        'second.request:{"fromFirst":"run/Mutation"}',
        "second.response:ok",
        "third.request",
        "third.response",
        "after",
    ]
    assert result.data["prev"] == {"pk": "K", "sk": "S", "n": 1}


def test_util_error_aborts_with_type_data_and_info(rt, dynamodb):
    result = run(rt, "fail")
    assert result.data is None
    [error] = result.errors
    assert (error.message, error.error_type, error.data, error.error_info) == ("hard", "Boom", {"d": 1}, {"i": 2})
    assert all_rows(dynamodb) == []


def test_append_error_collects_and_keeps_the_result(rt):
    result = run(rt, "appendError")
    assert result.data is not None
    assert [(e.message, e.error_type, e.error_info) for e in result.errors] == [("soft", "Warning", {"n": 1})]


def test_early_return_in_function_request_skips_its_data_source_and_response(rt, dynamodb):
    result = run(rt, "skipNext")
    log = result.data["log"]
    assert "first.response" not in log
    assert log[2] == 'second.request:{"skipped":"first"}'
    assert "third.response" in log


def test_early_return_skip_to_end_goes_to_the_after_handler(rt, dynamodb):
    result = run(rt, "skipEnd")
    assert result.data["prev"] == {"skipped": "all"}
    assert result.data["log"] == ["before", 'first.request:{"from":"before"}', "after"]
    assert all_rows(dynamodb) == []


def test_early_return_in_before_handler_skips_all_functions(rt, dynamodb):
    # AppSync devguide (runtime utilities): the pipeline execution is skipped and the pipeline
    # resolver response handler is called immediately.
    result = run(rt, "beforeEarly")
    assert result.data == {"prev": {"early": "before"}, "log": ["before", "after"]}
    assert all_rows(dynamodb) == []


def test_data_source_error_reaches_response_as_ctx_error(rt):
    assert run(rt).errors == []
    # AppSync: a failed condition whose item already holds the same values counts as success
    assert run(rt).errors == []
    again = run(rt, n=2)  # same key, different values: the put's condition fails
    assert again.data is None
    assert again.errors[0].error_type == "DynamoDB:ConditionalCheckFailedException"
    swallowed = run(rt, "swallow", n=3)
    assert swallowed.errors == []
    assert "second.response:DynamoDB:ConditionalCheckFailedException" in swallowed.data["log"]


def test_unit_resolver_context(rt, dynamodb):
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "K"}, "sk": {"S": "S"}, "n": {"N": "2.5"}})
    result = rt.resolve(
        "Query",
        "unit",
        arguments={},
        identity=None,
        source={"parent": 1},
        selection_set_list=["item", "header"],
        variables={"v": 1},
        request_headers={"x-test": "yes"},
    )
    assert result.errors == []
    assert result.data == {
        "item": {"pk": "K", "sk": "S", "n": 2.5},
        "header": "yes",
        "selection": ["item", "header"],
        "variables": {"v": 1},
        "source": {"parent": 1},
        "auth": "API Key Authorization",
    }
    assert [c.operation for c in rt.dynamodb_calls] == ["GetItem"]


def test_unit_early_return_skips_the_data_source(rt):
    result = rt.resolve("Query", "unit", arguments={"early": True}, identity=None)
    assert result.data == {"early": True}
    assert rt.dynamodb_calls == []


def test_runtime_errors_are_code_errors(rt):
    result = rt.resolve("Query", "unit", arguments={"crash": True}, identity=None)
    assert result.data is None
    assert result.errors[0].error_type == "Code"
    assert "TypeError" in result.errors[0].message


def test_subscription_resolver_returns_extensions(rt):
    result = rt.resolve("Subscription", "onThing", arguments={"roomId": "r1"}, identity=None)
    assert result.errors == []
    assert result.extensions["subscriptionFilter"] == {
        "filterGroup": [{"filters": [{"fieldName": "roomId", "operator": "eq", "value": "r1"}]}]
    }
    assert result.extensions["invalidateSubscriptions"] == [
        {"subscriptionField": "onThing", "payload": {"roomId": "r1"}}
    ]


def test_engines_are_per_thread(rt):
    import threading

    engines = [rt.engine]

    def grab() -> None:
        engines.append(rt.engine)
        assert rt.resolve("Query", "unit", arguments={"early": True}, identity=None).data == {"early": True}

    thread = threading.Thread(target=grab)
    thread.start()
    thread.join()
    assert len(engines) == 2 and engines[0] is not engines[1]
