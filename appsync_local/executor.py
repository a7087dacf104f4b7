"""Runs the resolvers of a `ResolverManifest` as AppSync does (implements `ResolverRuntime`).

Unit resolver: request -> data source -> response. Pipeline resolver: before (request) ->
each function (request -> data source -> response) -> after (response), sharing ctx.stash;
ctx.prev.result carries each step's result. Data-source errors reach the response handler
as ctx.error {message, type} (with ctx.result as AppSync sets it, e.g. cancellationReasons).
`runtime.earlyReturn` follows the AppSync devguide (runtime utilities): in a function request
handler it skips that function's data source and response; in a pipeline's before handler
(or with skipTo 'END') it skips the remaining functions and calls the after handler at once;
in a unit resolver's request handler it skips the data source and response.

Each thread gets its own `JSEngine` (QuickJS contexts are not thread safe).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from appsync_local.contract import FieldResult, ResolverError
from appsync_local.datasources import CallLog, DataSourceError, DynamoDBDataSource, NoneDataSource
from appsync_local.engine import (
    DEFAULT_TIME_LIMIT_MS,
    Clock,
    DefaultIds,
    EngineError,
    EngineTimeout,
    IdFactory,
    JSEngine,
    ModuleLoadError,
    encode_json,
)
from appsync_local.manifest import Resolver, ResolverManifest
from appsync_local.remote_sources import UnavailableDataSource

# console.log / console.error from resolver code (AppSync sends them to CloudWatch Logs).
console_log = logging.getLogger("appsync_local.console")


class _Abort(Exception):
    """Stops the field: util.error / util.unauthorized / a runtime error."""

    def __init__(self, error: ResolverError) -> None:
        super().__init__(error.message)
        self.error = error


class _SkipToEnd(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__("earlyReturn")
        self.value = value


def auth_type_of(identity: dict[str, Any] | None) -> str:
    """util.authType() for an identity as AppSync builds it."""
    if not identity:
        return "API Key Authorization"
    if "resolverContext" in identity:
        return "Lambda Authorization"
    if "accountId" in identity or "userArn" in identity or "cognitoIdentityPoolId" in identity:
        return "IAM Authorization"
    if "defaultAuthStrategy" in identity or "username" in identity:
        return "User Pool Authorization"
    return "Open ID Connect Authorization"


class LocalResolverRuntime:
    """Executes the deployed resolver code (rendered with `env`) against local data sources."""

    def __init__(
        self,
        manifest: ResolverManifest,
        env: dict[str, str],
        dynamodb_client: Any,
        *,
        clock: Clock | None = None,
        id_factory: IdFactory | None = None,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
        call_log_size: int = 1000,
        data_sources: dict[str, Any] | None = None,
    ) -> None:
        """`data_sources` supplies HTTP and AWS_LAMBDA data sources by name (see remote_sources);
        one not supplied fails when invoked."""
        self.manifest = manifest
        self.env = dict(env)
        self.clock = clock
        self.id_factory: IdFactory = id_factory if id_factory is not None else DefaultIds(clock or time.time)
        self.time_limit_ms = time_limit_ms
        # The latest DynamoDB calls (bounded) and every IAM action used (recorded_iam_actions).
        self.dynamodb_calls = CallLog(call_log_size)
        self._code: dict[str, str] = {}
        files = [f.file for f in manifest.functions] + [r.file for r in manifest.resolvers]
        for relative in files:
            self._code[relative] = manifest.render(relative, self.env)
        self._data_sources: dict[str, Any] = {}
        for source in manifest.data_sources:
            if source.type == "AMAZON_DYNAMODB":
                table = self.env.get("TABLE_NAME")
                if not table:
                    raise ValueError(f"data source {source.name} needs TABLE_NAME in env")
                self._data_sources[source.name] = DynamoDBDataSource(
                    dynamodb_client, table, calls=self.dynamodb_calls
                )
            elif source.type == "NONE":
                self._data_sources[source.name] = NoneDataSource()
            elif source.name in (data_sources or {}):
                self._data_sources[source.name] = data_sources[source.name]
            elif source.type in ("HTTP", "AWS_LAMBDA"):
                self._data_sources[source.name] = UnavailableDataSource(source.name, source.type)
            else:
                raise ValueError(f"data source type {source.type} is not supported locally")
        self._resolvers: dict[tuple[str, str], Resolver] = {(r.type, r.field): r for r in manifest.resolvers}
        self._local = threading.local()

    # ------------------------------------------------------------------ bookkeeping
    @property
    def engine(self) -> JSEngine:
        """The calling thread's engine."""
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = JSEngine(
                clock=self.clock, id_factory=self.id_factory, time_limit_ms=self.time_limit_ms
            )
        return engine

    def recorded_iam_actions(self) -> set[str]:
        return set(self.dynamodb_calls.iam_actions)

    def data_source(self, name: str) -> Any:
        return self._data_sources[name]

    # ------------------------------------------------------------------ ResolverRuntime
    def has_resolver(self, type_name: str, field_name: str) -> bool:
        return (type_name, field_name) in self._resolvers

    def resolve(
        self,
        type_name: str,
        field_name: str,
        *,
        arguments: dict[str, Any],
        identity: dict[str, Any] | None,
        source: dict[str, Any] | None = None,
        selection_set_list: list[str] | None = None,
        selection_set_graphql: str = "",
        variables: dict[str, Any] | None = None,
        request_headers: dict[str, str] | None = None,
    ) -> FieldResult:
        resolver = self._resolvers.get((type_name, field_name))
        if resolver is None:
            raise KeyError(f"no resolver for {type_name}.{field_name}")
        ctx: dict[str, Any] = {
            "arguments": arguments or {},
            "identity": identity,
            "source": source,
            "stash": {},
            "prev": {"result": None},
            "info": {
                "fieldName": field_name,
                "parentTypeName": type_name,
                "variables": variables or {},
                "selectionSetList": list(selection_set_list or []),
                "selectionSetGraphQL": selection_set_graphql,
            },
            "request": {"headers": dict(request_headers or {}), "domainName": None},
            "env": self.env,
        }
        outcome = FieldResult()
        run = _Run(self, outcome, auth_type_of(identity), ctx)
        try:
            if resolver.kind == "UNIT":
                outcome.data = run.unit(resolver, ctx)
            else:
                outcome.data = run.pipeline(resolver, ctx)
        except _Abort as abort:
            outcome.data = None
            outcome.errors.append(abort.error)
        return outcome


_CHANGING = ("stash", "prev", "result", "error")  # the ctx keys a resolution changes between handler calls


class _Run:
    """One field resolution: collects appended errors and extensions across handler calls."""

    def __init__(self, runtime: LocalResolverRuntime, outcome: FieldResult, auth_type: str,
                 ctx: dict[str, Any]) -> None:
        self.runtime = runtime
        self.engine = runtime.engine
        self.outcome = outcome
        self.auth_type = auth_type
        # Arguments, identity, source, info, request and env are the same for every handler
        # call of this resolution (what a handler changes in them stays in JS): encoded once,
        # with "{" kept open for the parts that change between calls.
        self._fixed_json = encode_json({k: v for k, v in ctx.items() if k not in _CHANGING})[:-1]

    def _ctx_json(self, ctx: dict[str, Any]) -> str:
        changing = encode_json({k: ctx[k] for k in _CHANGING if k in ctx})
        if changing == "{}":
            return self._fixed_json + "}"
        return self._fixed_json + ("," if self._fixed_json != "{" else "") + changing[1:]

    def call(self, file: str, handler: str, ctx: dict[str, Any]) -> dict[str, Any]:
        try:
            handle = self.engine.load(self.runtime._code[file], file)
            out = self.engine.call(handle, handler, ctx, auth_type=self.auth_type, ctx_json=self._ctx_json(ctx))
        except EngineTimeout as exc:
            raise _Abort(ResolverError(str(exc), "ExecutionTimeout")) from None
        except ModuleLoadError as exc:
            raise _Abort(ResolverError(str(exc), "Code")) from None
        except EngineError as exc:
            raise _Abort(ResolverError(str(exc), "Code")) from None
        ctx["stash"] = out.get("stash") or {}
        for line in out.get("logs") or ():
            console_log.log(
                logging.ERROR if line.get("level") == "ERROR" else logging.INFO, "%s %s(): %s", file, handler,
                line.get("message"),
            )
        for err in out.get("errors") or []:
            self.outcome.errors.append(_error(err))
        self._merge_extensions(out.get("extensions") or {})
        status = out["status"]
        if status == "error":
            raise _Abort(_error(out["error"]))
        if status == "exception":
            err = out["error"]
            raise _Abort(ResolverError(f"{err['name']}: {err['message']} ({file} {handler})", "Code"))
        return out

    def _merge_extensions(self, extensions: dict[str, Any]) -> None:
        target = self.outcome.extensions
        for key, value in extensions.items():
            if isinstance(value, list):
                target.setdefault(key, []).extend(value)
            elif isinstance(value, dict) and isinstance(target.get(key), dict) and key == "responseHeaders":
                target[key].update(value)
            else:
                target[key] = value

    def invoke_data_source(self, name: str, request: Any, ctx: dict[str, Any]) -> None:
        try:
            ctx["result"] = self.runtime.data_source(name).invoke(request)
            ctx["error"] = None
        except DataSourceError as exc:
            ctx["result"] = exc.result
            ctx["error"] = {"message": exc.message, "type": exc.error_type}

    def unit(self, resolver: Resolver, ctx: dict[str, Any]) -> Any:
        out = self.call(resolver.file, "request", ctx)
        if out["status"] == "earlyReturn":
            return out.get("value")
        self.invoke_data_source(resolver.data_source or "", out.get("value"), ctx)
        return self.call(resolver.file, "response", ctx).get("value")

    def pipeline(self, resolver: Resolver, ctx: dict[str, Any]) -> Any:
        before = self.call(resolver.file, "request", ctx)
        prev = before.get("value")
        if before["status"] != "earlyReturn":
            try:
                for name in resolver.functions:
                    prev = self.function(name, ctx, prev)
            except _SkipToEnd as skip:
                prev = skip.value
        # the after handler sees the last function's result as ctx.prev.result and as ctx.result
        ctx["prev"] = {"result": prev}
        ctx["result"] = prev
        ctx.pop("error", None)
        return self.call(resolver.file, "response", ctx).get("value")

    def function(self, name: str, ctx: dict[str, Any], prev: Any) -> Any:
        function = self.runtime.manifest.function(name)
        ctx["prev"] = {"result": prev}
        ctx.pop("result", None)
        ctx.pop("error", None)
        out = self.call(function.file, "request", ctx)
        if out["status"] == "earlyReturn":
            if out.get("skipTo") == "END":
                raise _SkipToEnd(out.get("value"))
            return out.get("value")
        self.invoke_data_source(function.data_source, out.get("value"), ctx)
        response = self.call(function.file, "response", ctx)
        if response["status"] == "earlyReturn" and response.get("skipTo") == "END":
            raise _SkipToEnd(response.get("value"))
        return response.get("value")


def _error(payload: dict[str, Any]) -> ResolverError:
    return ResolverError(
        message=payload.get("message") or "",
        error_type=payload.get("errorType"),
        data=payload.get("data"),
        error_info=payload.get("errorInfo"),
    )
