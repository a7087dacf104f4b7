"""A conformance suite for the local APPSYNC_JS runtime: cases recorded from AWS, run locally.

Each case is data (`cases/*.yaml`): a util call or resolver code, the context it runs with, and
what AWS answered, with the public source the answer comes from (an AWS documentation page, or a
public repository's snapshot of AppSync EvaluateCode results). Only facts are carried over.

Kinds of case (one key each):
  expr      a JS expression evaluated inside a request handler with `util`, `runtime`,
            `extensions` and `ddb` (the @aws-appsync/utils/dynamodb module) in scope; `ctx` is
            the context given (default {}). `parse_json: true` compares a JSON string parsed.
  code      a whole resolver module; `handler` (default request) runs with `ctx`.
  reject    resolver code AWS refuses at create time; `rule` names the construct it breaks.
  accept    resolver code AWS accepts (the validator must not refuse it).
  pipeline  {before, functions: [code...], after}: a pipeline resolver on NONE data sources.
  request   {schema, query, variables, resolvers: {"Type.field": code}}: a whole GraphQL request
            through the local endpoint (unit resolvers on a NONE data source, Cognito auth);
            `expect_response` is compared with the response body (an error entry only on the
            keys the case gives, as AppSync adds locations and paths).
Expected: `expect` (the value, compared as JSON), `expect_match` (a regular expression the
string value matches), `expect_error` ({message, errorType}: util.error), `expect_exception`
(a substring of the runtime error), `expect_errors` (util.appendError list), `expect_logs`.
`now` sets the clock (epoch milliseconds).

    .venv/bin/python -m appsync_local.conformance [--floor 95] [--verbose]
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from appsync_local.engine import EngineError, JSEngine, ModuleLoadError
from appsync_local.manifest import DataSource, Function, Resolver, ResolverManifest
from appsync_local.validator import check_code

_PRELUDE = (
    "import { util, runtime, extensions } from '@aws-appsync/utils';\n"
    "import * as ddb from '@aws-appsync/utils/dynamodb';\n"
)


@dataclass
class Case:
    area: str
    name: str
    source: str
    spec: dict[str, Any]


@dataclass
class Outcome:
    case: Case
    passed: bool
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 0.0

    def by_area(self) -> dict[str, tuple[int, int]]:
        areas: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            done, total = areas.get(o.case.area, (0, 0))
            areas[o.case.area] = (done + o.passed, total + 1)
        return areas

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def case_files() -> list[Path]:
    folder = resources.files("appsync_local") / "conformance" / "cases"
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml"))


def load_cases(files: Iterable[Path] | None = None) -> list[Case]:
    cases: list[Case] = []
    for path in files if files is not None else case_files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        sources: dict[str, str] = doc.get("sources", {})
        for spec in doc["cases"]:
            source = spec.get("source", doc.get("source"))
            source = sources.get(source, source)
            if not source:
                raise ValueError(f"{path.name}: case {spec.get('name')!r} cites no source")
            cases.append(Case(area=spec.get("area", doc["area"]), name=spec["name"], source=source, spec=spec))
    return cases


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _same(actual: Any, expected: Any) -> bool:
    # JSON equality (key order ignored; 1 == 1.0, as JSON numbers)
    return json.loads(json.dumps(actual)) == json.loads(json.dumps(expected))


class Runner:
    def __init__(self) -> None:
        self.clock = _Clock()
        self.engine = JSEngine(clock=self.clock)

    def run(self, cases: Iterable[Case]) -> Report:
        report = Report()
        for case in cases:
            try:
                passed, detail = self._run(case)
            except Exception as exc:  # noqa: BLE001 - a crashing case is a failing case, reported
                passed, detail = False, f"{type(exc).__name__}: {exc}"
            report.outcomes.append(Outcome(case, passed, detail))
        return report

    def _run(self, case: Case) -> tuple[bool, str]:
        spec = case.spec
        self.clock.now = spec.get("now", 1_700_000_000_000) / 1000.0
        if "reject" in spec:
            errors = check_code(spec["reject"])
            rules = {e.rule for e in errors}
            wanted = spec.get("rule")
            ok = bool(errors) and (wanted is None or wanted in rules)
            return ok, f"refused with {sorted(rules)}" if errors else "accepted"
        if "accept" in spec:
            errors = check_code(spec["accept"])
            return not errors, "; ".join(e.describe("code.js") for e in errors)
        if "pipeline" in spec:
            return self._pipeline(spec)
        if "request" in spec:
            return self._request(spec)
        if "expr" in spec:
            code = _PRELUDE + f"export function request(ctx) {{\n  return ({spec['expr']});\n}}\n" \
                "export function response(ctx) { return ctx.result; }\n"
            handler = "request"
        else:
            code = spec["code"]
            if "import " not in code:
                code = _PRELUDE + code
            handler = spec.get("handler", "request")
        try:
            handle = self.engine.load(code, f"{case.area}/{case.name}")
        except ModuleLoadError as exc:
            return False, f"refused at load: {exc}"
        ctx = dict(spec.get("ctx") or {})
        out = self.engine.call(handle, handler, ctx, auth_type=spec.get("authType"))
        return self._check(spec, out)

    def _check(self, spec: dict[str, Any], out: dict[str, Any]) -> tuple[bool, str]:
        status = out["status"]
        got = out.get("value")
        if "expect_error" in spec:
            if status != "error":
                return False, f"no util.error; {status}: {got if status != 'exception' else out.get('error')}"
            want = spec["expect_error"]
            err = out["error"]
            ok = all(_same(err.get(k), v) for k, v in want.items())
            return ok, f"error {err}"
        if "expect_exception" in spec:
            if status != "exception":
                return False, f"no exception; {status}: {got}"
            message = f"{out['error']['name']}: {out['error']['message']}"
            return spec["expect_exception"] in message, message
        if status not in ("ok", "earlyReturn"):
            return False, f"{status}: {out.get('error')}"
        if spec.get("parse_json") and isinstance(got, str):
            got = json.loads(got)
        checks: list[tuple[bool, str]] = []
        if "expect" in spec:
            checks.append((_same(got, spec["expect"]), f"got {json.dumps(got)}"))
        if "expect_match" in spec:
            checks.append((isinstance(got, str) and re.fullmatch(spec["expect_match"], got) is not None,
                           f"got {got!r}"))
        if "expect_errors" in spec:
            errors = [{k: e.get(k) for k in ("message", "errorType")} for e in out.get("errors") or []]
            checks.append((_same(errors, spec["expect_errors"]), f"appended {errors}"))
        if "expect_logs" in spec:
            logs = [line["message"] for line in out.get("logs") or []]
            checks.append((_same(logs, spec["expect_logs"]), f"logged {logs}"))
        if not checks:
            return False, "the case states no expectation"
        return all(ok for ok, _ in checks), "; ".join(detail for ok, detail in checks if not ok)

    def _pipeline(self, spec: dict[str, Any]) -> tuple[bool, str]:
        from appsync_local.executor import LocalResolverRuntime

        pipe = spec["pipeline"]
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            functions = []
            for i, code in enumerate(pipe["functions"]):
                (root / f"f{i}.js").write_text(code if "import " in code else _PRELUDE + code)
                functions.append(Function(name=f"f{i}", file=f"f{i}.js", data_source="none"))
            (root / "resolver.js").write_text(pipe["before_after"] if "import " in pipe["before_after"]
                                              else _PRELUDE + pipe["before_after"])
            resolver = Resolver(type="Query", field=spec.get("field", "test"), kind="PIPELINE", file="resolver.js",
                                functions=tuple(f.name for f in functions))
            manifest = ResolverManifest(environment=(), data_sources=(DataSource(name="none", type="NONE"),),
                                        functions=tuple(functions), resolvers=(resolver,), root=root)
            runtime = LocalResolverRuntime(manifest, {}, None, clock=self.clock)
            try:
                result = runtime.resolve("Query", resolver.field, arguments=spec.get("arguments") or {},
                                         identity=None)
            except EngineError as exc:
                return False, str(exc)
        checks = []
        if "expect" in spec:
            checks.append((_same(result.data, spec["expect"]), f"got {json.dumps(result.data)}"))
        if "expect_errors" in spec:
            errors = [{"message": e.message, "errorType": e.error_type} for e in result.errors]
            checks.append((_same(errors, spec["expect_errors"]), f"errors {errors}"))
        if not checks:
            return False, "the case states no expectation"
        return all(ok for ok, _ in checks), "; ".join(d for ok, d in checks if not ok)


    def _request(self, spec: dict[str, Any]) -> tuple[bool, str]:
        import asyncio

        from appsync_local.executor import LocalResolverRuntime
        from appsync_local.server import GraphQLEndpoint

        request = spec["request"]
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            resolvers = []
            for index, (name, code) in enumerate(request["resolvers"].items()):
                type_name, field_name = name.split(".")
                (root / f"r{index}.js").write_text(code if "import " in code else _PRELUDE + code)
                resolvers.append(Resolver(type=type_name, field=field_name, kind="UNIT", file=f"r{index}.js",
                                          data_source="none"))
            manifest = ResolverManifest(environment=(), data_sources=(DataSource(name="none", type="NONE"),),
                                        functions=(), resolvers=tuple(resolvers), root=root)
            runtime = LocalResolverRuntime(manifest, {}, None, clock=self.clock)
            endpoint = GraphQLEndpoint(request["schema"], runtime)
            identity = {"sub": "conformance", "username": "conformance", "claims": {}, "groups": None}
            response = asyncio.run(endpoint.execute(
                {"query": request["query"], "variables": request.get("variables") or {}}, identity=identity))
        body = json.loads(json.dumps(response.body))
        want = spec["expect_response"]
        got_errors = body.get("errors") or []
        if "data" in want and not _same(body.get("data"), want["data"]):
            return False, f"data {json.dumps(body.get('data'))}"
        wanted_errors = want.get("errors") or []
        if len(got_errors) != len(wanted_errors):
            return False, f"errors {json.dumps(got_errors)}"
        for got, wanted in zip(got_errors, wanted_errors, strict=True):
            if not all(_same(got.get(key), value) for key, value in wanted.items()):
                return False, f"error {json.dumps(got)}"
        return True, ""


def run_suite(files: Iterable[Path] | None = None) -> Report:
    return Runner().run(load_cases(files))


def format_report(report: Report, *, verbose: bool = False) -> str:
    lines = ["APPSYNC_JS conformance (cases recorded from AWS, run on the local runtime):"]
    for area, (done, total) in sorted(report.by_area().items()):
        lines.append(f"  {area:34s} {done:4d}/{total:<4d} {100.0 * done / total:6.1f} %")
    lines.append(f"  {'total':34s} {report.passed:4d}/{report.total:<4d} {report.rate:6.1f} %")
    failures = report.failures()
    if failures:
        lines.append("differences:")
        for o in failures:
            detail = o.detail if verbose else o.detail[:300]
            lines.append(f"  [{o.case.area}] {o.case.name}: {detail}\n      source: {o.case.source}")
    return "\n".join(lines)
