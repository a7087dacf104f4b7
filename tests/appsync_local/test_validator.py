"""The load-time validator refuses what AppSync's APPSYNC_JS runtime refuses at create time, naming
file, line and rule, and accepts what the runtime supports (the project's own resolvers included)."""

from __future__ import annotations

import shutil

import pytest

from appsync_local.engine import JSEngine, UnsupportedCode
from appsync_local.manifest import ResolverCodeError, load_manifest
from appsync_local.validator import UnsupportedCodeError, check_code, validate_code
from tests.project import PROJECT

# (construct, code inside a request handler, rule) — the "Supported runtime features" page of the
# AppSync developer guide and the rules of @aws-appsync/eslint-plugin.
REFUSED = [
    ("try/catch", "try { a(); } catch (e) { b(); }", "no-try"),
    ("finally", "try { a(); } finally { b(); }", "no-try"),
    ("throw", "throw new Error('x');", "no-throw"),
    ("while", "while (ctx.a) { ctx.stash.b = 1; }", "no-while"),
    ("do-while", "do { ctx.stash.b = 1; } while (ctx.a);", "no-while"),
    ("classic for", "for (let i = 0; i < 3; i = i + 1) { ctx.stash.i = i; }", "no-for"),
    ("continue", "for (const x of ctx.args.list) { if (x) { continue; } }", "no-continue"),
    ("label", "outer: for (const x of ctx.args.list) { break outer; }", "no-labels"),
    ("++", "let n = 0; n++;", "no-disallowed-unary-operators"),
    ("--", "let n = 0; --n;", "no-disallowed-unary-operators"),
    ("~", "const n = ~ctx.args.n;", "no-disallowed-unary-operators"),
    ("in", "const has = 'a' in ctx.args;", "no-in-operator"),
    ("instanceof", "const isArray = ctx.args.list instanceof Array;", "no-disallowed-binary-operators"),
    ("class", "class Thing {}", "no-classes"),
    ("class expression", "const Thing = class {};", "no-classes"),
    ("async arrow", "const f = async () => 1;", "no-async"),
    ("await", "const v = await ctx.args.p;", "no-await"),
    ("Promise", "const p = Promise.resolve(1);", "no-promise"),
    ("generator", "function* gen() { yield 1; }", "no-generators"),
    ("regex literal", "const ok = /^a+$/.test(ctx.args.s);", "no-regex"),
    ("this", "const self = this;", "no-this"),
    (".call", "Object.keys.call(null, ctx.args);", "no-function-call-apply-bind"),
    (".apply", "Math.max.apply(null, ctx.args.list);", "no-function-call-apply-bind"),
    (".bind", "const f = Object.keys.bind(Object);", "no-function-call-apply-bind"),
    ("new Function", "const f = new Function('return 1');", "no-function-constructor"),
    ("Function()", "const f = Function('return 1');", "no-function-constructor"),
    ("eval", "const v = eval('1');", "no-function-constructor"),
    ("named function passed", "function twice(x) { return x * 2; }\n  const l = ctx.args.list.map(twice);",
     "no-function-passing"),
    ("callback to a non-array method", "util.foo(() => 1);", "no-function-passing"),
    ("sort comparator", "const l = ctx.args.list.sort((a, b) => a - b);", "no-sort-comparator"),
    ("returned function", "return () => 1;", "no-function-return"),
    ("ctx reassigned", "ctx = {};", "no-disallowed-re-assignment"),
    ("ctx property assigned", "ctx.result = 1;", "no-disallowed-re-assignment"),
    ("unimplemented method", "const s = 'a'.padStart(3, ' ');", "no-disallowed-methods"),
    ("unimplemented static", "const o = Object.freeze({});", "no-disallowed-methods"),
]


def _module(body: str) -> str:
    return (
        "import { util } from '@aws-appsync/utils';\n"
        f"export function request(ctx) {{\n  {body}\n  return {{}};\n}}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )


@pytest.mark.parametrize(("construct", "body", "rule"), REFUSED, ids=[r[0] for r in REFUSED])
def test_each_refused_construct_is_named_with_its_rule_and_line(construct, body, rule):
    errors = check_code(_module(body))
    assert rule in {e.rule for e in errors}, (construct, errors)
    error = next(e for e in errors if e.rule == rule)
    assert error.error_type == "LINT_ERROR"
    assert 3 <= error.line <= 3 + body.count("\n")  # the handler body starts on line 3


def test_recursion_direct_and_mutual():
    code = (
        "export function request(ctx) { return { n: fact(ctx.args.n), p: ping(3) }; }\n"
        "function fact(n) { return n <= 1 ? 1 : n * fact(n - 1); }\n"
        "function ping(n) { return n ? pong(n - 1) : 0; }\n"
        "const pong = (n) => ping(n);\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    found = {(e.rule, e.line) for e in check_code(code)}
    assert ("no-recursion", 2) in found
    assert ("no-recursion", 3) in found or ("no-recursion", 4) in found


ACCEPTED = [
    "const v = ctx.args.a?.b ?? 'd';",
    "for (const x of ctx.args.list) { if (x > 1) { break; } }",
    "for (const k in ctx.args) { ctx.stash[k] = 1; }",
    "switch (ctx.args.kind) { case 'a': ctx.stash.k = 1; break; default: ctx.stash.k = 2; }",
    "const { a, ...rest } = ctx.args; const all = [...ctx.args.list, { ...rest }];",
    "const t = `line\\n${ctx.args.a} ${`nested ${1}`}`;",
    "const l = ctx.args.list.map((x) => x * 2).filter(function (x) { return x > 2; });",
    "const total = ctx.args.list.reduce((sum, x) => sum + x, 0);",
    "const sorted = ctx.args.list.slice().sort();",
    "const has = Object.hasOwn(ctx.args, 'a'); const n = -ctx.args.n; const m = ctx.args.n | 0;",
    "ctx.stash.value = 1; ctx.stash.nested = { a: 1 }; delete ctx.stash.value;",
    "function helper(x) { return x + 1; }\n  ctx.stash.v = helper(1);",
    "const r = String.raw`a\\b`; const v = typeof ctx.args.a === 'string' ? void 0 : null;",
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_supported_constructs_are_accepted(body):
    assert check_code(_module(body)) == []


def test_syntax_errors_are_parser_errors_with_a_location():
    errors = check_code("export function request(ctx) {\n  return {;\n}\n")
    assert errors and all(e.error_type == "PARSER_ERROR" for e in errors)
    assert errors[0].line == 2


def test_the_error_reads_like_appsyncs_and_names_file_line_and_rule():
    with pytest.raises(UnsupportedCodeError) as caught:
        validate_code(_module("let n = 0;\n  n++;"), "functions/count.js")
    text = str(caught.value)
    assert "The code contains one or more errors" in text
    assert "functions/count.js:4:3: LINT_ERROR [no-disallowed-unary-operators]" in text
    assert "n = n + 1" in text.replace("x = x + 1", "n = n + 1")  # says what to write instead


def test_the_engine_refuses_such_code_at_load():
    engine = JSEngine()
    with pytest.raises(UnsupportedCode) as caught:
        engine.load(_module("while (true) {}"), "functions/spin.js")
    assert [e.rule for e in caught.value.errors] == ["no-while"]
    assert "functions/spin.js:3:3" in str(caught.value)


def test_the_projects_resolvers_pass():
    manifest = PROJECT.manifest()  # load_manifest validates every file it names
    files = [f.file for f in manifest.functions] + [r.file for r in manifest.resolvers]
    assert files and all(check_code(manifest.source(f)) == [] for f in files)


def test_loading_a_manifest_refuses_resolver_code_appsync_would_refuse(tmp_path):
    copy = tmp_path / "resolvers"
    shutil.copytree(PROJECT.manifest_path.parent, copy)
    target = copy / "functions" / "putMessage.js"
    lines = target.read_text().splitlines()
    lines.insert(1, "const tries = [1, 2].map((x) => { let n = x; n++; return n; });")
    target.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResolverCodeError) as caught:
        load_manifest(copy / "manifest.yaml")
    assert f"{target}:2:" in str(caught.value)
    assert "[no-disallowed-unary-operators]" in str(caught.value)
