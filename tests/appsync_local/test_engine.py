"""The QuickJS engine: module loading and import rewriting, limits, threads, injected clock and ids."""

from __future__ import annotations

import threading

import pytest

from appsync_local.engine import (
    EngineThreadError,
    EngineTimeout,
    JSEngine,
    ModuleLoadError,
    prepare_module,
)
from tests.appsync_local.conftest import FakeClock, SequentialIds

CTX = {"arguments": {}, "stash": {}, "info": {"fieldName": "f", "parentTypeName": "Query"}}


@pytest.fixture
def engine() -> JSEngine:
    return JSEngine(clock=FakeClock(step=0), id_factory=SequentialIds(), time_limit_ms=300)


def test_builtin_imports_are_bound_including_aliases_and_namespaces(engine):
    handle = engine.load(
        "import { util as u, runtime } from '@aws-appsync/utils';\n"
        "import * as ddb from '@aws-appsync/utils/dynamodb';\n"
        'import { get } from "@aws-appsync/utils/dynamodb";\n'
        "export function request(ctx) { return [typeof u.error, typeof runtime.earlyReturn, typeof ddb.put,"
        " get({ key: { id: 'a' } })]; }\n"
        "export function response(ctx) { return ctx.result; }"
    )
    out = engine.call(handle, "request", CTX)
    assert out["status"] == "ok"
    assert out["value"] == ["function", "function", "function", {"operation": "GetItem", "key": {"id": {"S": "a"}}}]


def test_util_is_also_a_global_as_declared_in_the_d_ts(engine):
    handle = engine.load(
        "export function request() { return util.matches('a+', 'aaa'); }\nexport function response() {}"
    )
    assert engine.call(handle, "request", CTX)["value"] is True


@pytest.mark.parametrize("spec", ["lodash", "./helpers.js", "@aws-appsync/utils/nope"])
def test_importing_an_unknown_module_fails(engine, spec):
    with pytest.raises(ModuleLoadError, match=f"could not load module '{spec}'"):
        engine.load(f"import {{ x }} from '{spec}';\nexport function request() {{}}\nexport function response() {{}}")


def test_syntax_errors_fail_at_load(engine):
    with pytest.raises(ModuleLoadError, match="PARSER_ERROR"):
        engine.load("export function request( {")


def test_missing_handler_is_reported(engine):
    handle = engine.load("export function request() { return 1; }")
    out = engine.call(handle, "response", CTX)
    assert out["status"] == "exception"
    assert "response" in out["error"]["message"]


def test_a_module_says_which_handlers_it_exports(engine):
    resolver = engine.load("// onPublish is mentioned, not exported\nexport function request() {}\n"
                           "export function response() {}")
    assert engine.exports(resolver) == {"request", "response"}
    events = engine.load("function check() {}\nconst onSubscribe = { request: check, response: check };\n"
                         "export { onSubscribe };")
    assert engine.exports(events) == {"onSubscribe"}


def test_export_list_aliases_are_honoured(engine):
    handle = engine.load(
        "function a() { return 'A'; }\nfunction b() { return 'B'; }\nexport { a as request, b as response };"
    )
    assert engine.call(handle, "request", CTX)["value"] == "A"
    assert engine.call(handle, "response", CTX)["value"] == "B"


def test_module_code_is_strict(engine):
    handle = engine.load("export function request() { undeclared = 1; return 2; }\nexport function response() {}")
    out = engine.call(handle, "request", CTX)
    assert out["status"] == "exception"
    assert out["error"]["name"] == "ReferenceError"


def test_time_limit_stops_an_endless_computation_and_the_engine_stays_usable(engine):
    # `while (true)` is refused at load (as on AWS); nested callbacks over a small array run for hours
    endless = (
        "export function request() { const a = Array(100000).fill(0);"
        " a.forEach(() => a.forEach(() => a.forEach(() => 0))); }\nexport function response() {}"
    )
    handle = engine.load(endless)
    with pytest.raises(EngineTimeout, match="300 ms"):
        engine.call(handle, "request", CTX)
    ok = engine.load("export function request() { return 42; }\nexport function response() {}")
    assert engine.call(ok, "request", CTX)["value"] == 42


def test_engine_refuses_other_threads(engine):
    errors: list[BaseException] = []

    def use() -> None:
        try:
            engine.evaluate("1")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], EngineThreadError)


def test_clock_is_injected():
    engine = JSEngine(clock=lambda: 1_700_000_000.5)
    assert engine.evaluate("util.time.nowISO8601()") == "2023-11-14T22:13:20.500Z"
    assert engine.evaluate("util.time.nowEpochSeconds()") == 1_700_000_000
    assert engine.evaluate("util.time.nowEpochMilliSeconds()") == 1_700_000_000_500


def test_ids_are_injected_and_none_are_wasted():
    ids = SequentialIds()
    engine = JSEngine(id_factory=ids)
    handle = engine.load(
        "export function request(ctx) { if (ctx.arguments.fail) { util.error('no'); }"
        " return [util.autoUlid(), util.autoUlid(), util.autoId(), util.autoKsuid()]; }\n"
        "export function response() {}"
    )
    first = engine.call(handle, "request", CTX)["value"]
    assert first[:2] == ["00000000000000000000000001", "00000000000000000000000002"]
    # a call that errors before taking ids does not consume the ids supplied to it
    assert engine.call(handle, "request", {**CTX, "arguments": {"fail": True}})["status"] == "error"
    second = engine.call(handle, "request", CTX)["value"]
    assert second[0] == "00000000000000000000000005"
    assert [kind for kind, _ in ids.issued] == ["ulid", "ulid", "uuid", "ksuid"] * 2


def test_default_ids_have_the_documented_shapes():
    engine = JSEngine()
    ulid, uuid, ksuid = engine.evaluate("[util.autoUlid(), util.autoId(), util.autoKsuid()]")
    assert len(ulid) == 26 and set(ulid) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert len(uuid) == 36 and uuid[14] == "4"
    assert len(ksuid) == 27 and ksuid.isalnum()
    later = engine.evaluate("[util.autoUlid(), util.autoUlid()]")
    assert ulid < later[0] < later[1]  # monotonic


def test_prepare_module_strips_exports_and_registers_handlers():
    script = prepare_module("import { util } from '@aws-appsync/utils';\nexport function request() {}", "h1")
    assert "import" not in script
    assert "export" not in script
    assert '__appsync.handlers["h1"]' in script
