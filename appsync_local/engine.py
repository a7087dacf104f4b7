"""A QuickJS (quickjs-ng) engine that runs APPSYNC_JS resolver modules.

One `JSEngine` owns one QuickJS context and must only be used from the thread that created
it (QuickJS contexts are not thread safe); `engine_for_thread` keeps one per thread.

The engine does not resolve ES imports. `prepare_module` rewrites the imports of the
built-in modules (`@aws-appsync/utils`, `@aws-appsync/utils/dynamodb`) into bindings of the
runtime library loaded from `runtime_js/`, strips `export`, and wraps the code in a function
scope in strict mode (ES modules are strict). Any other import fails at load time with the
message QuickJS itself gives ("could not load module '...'"), as the code would fail on AWS.

Before anything runs, `appsync_local.validator` refuses code that AppSync's APPSYNC_JS
runtime refuses at create time (`UnsupportedCode`, naming file, line and rule).

Data crosses the Python/JS boundary as JSON strings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from importlib import resources
from typing import Any

import _quickjs

from appsync_local.timezones import zone_transitions
from appsync_local.validator import CodeError, UnsupportedCodeError, validate_code

Clock = Callable[[], float]
"""Returns the current time as epoch seconds (like `time.time`)."""

IdFactory = Callable[[str], str]
"""Returns a new id of the given kind: "uuid" (util.autoId), "ulid" (util.autoUlid), "ksuid" (util.autoKsuid)."""

BUILTIN_MODULES = ("@aws-appsync/utils", "@aws-appsync/utils/dynamodb")
# Documented by AWS but not implemented by this runtime: importing them fails with a clear message.
UNSUPPORTED_MODULES = ("@aws-appsync/utils/rds", "@aws-appsync/utils/ai")

RUNTIME_FILES = ("util.js", "dynamodb.js", "invoke.js")

DEFAULT_TIME_LIMIT_MS = 1000


class EngineError(RuntimeError):
    """The engine could not load or run code."""


class ModuleLoadError(EngineError):
    """The resolver code cannot be loaded (syntax error, unknown import, missing handler)."""


class UnsupportedCode(ModuleLoadError):
    """The code uses what AppSync's APPSYNC_JS runtime refuses; `errors` lists each construct."""

    def __init__(self, message: str, errors: list[CodeError]) -> None:
        super().__init__(message)
        self.errors = errors


class EngineTimeout(EngineError):
    """A call ran longer than the engine's time limit."""


class EngineThreadError(EngineError):
    """The engine was used from a thread other than the one that created it."""


# ---------------------------------------------------------------------------- ids

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KSUID_EPOCH = 1_400_000_000


class DefaultIds:
    """Random ids, with ULIDs monotonic within one millisecond (so sort order = creation order)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def __call__(self, kind: str) -> str:
        if kind == "uuid":
            return str(uuid.uuid4())
        if kind == "ulid":
            return self.ulid()
        if kind == "ksuid":
            return self.ksuid()
        raise ValueError(f"unknown id kind {kind!r}")

    def ulid(self) -> str:
        ms = int(self._clock() * 1000)
        with self._lock:
            if ms <= self._last_ms:
                ms = self._last_ms
                rnd = self._last_random + 1
            else:
                rnd = int.from_bytes(os.urandom(10), "big")
            self._last_ms, self._last_random = ms, rnd
        value = (ms << 80) | (rnd & ((1 << 80) - 1))
        # 160 bits -> 32 base32 characters; the first 6 encode the 30 leading zero bits.
        return base64.b32encode(value.to_bytes(20, "big"))[6:].decode("ascii").translate(_B32_TO_CROCKFORD)

    def ksuid(self) -> str:
        ts = int(self._clock()) - _KSUID_EPOCH
        value = int.from_bytes(ts.to_bytes(4, "big") + os.urandom(16), "big")
        chars = []
        for _ in range(27):
            value, rem = divmod(value, 62)
            chars.append(_BASE62[rem])
        return "".join(reversed(chars))


# ---------------------------------------------------------------------------- module rewriting

_IMPORT = re.compile(
    r"""(?<![\w$.])import\s*(?:(?P<clause>[\w$*{}\s,]+?)\s*from\s*)?(?P<q>['"])(?P<spec>[^'"]+)(?P=q)[ \t]*;?"""
)
_EXPORT_DECL = re.compile(r"(?<![\w$.])export\s+(?=(?:async\s+)?function\b|const\b|let\b|var\b|class\b)")
_EXPORT_LIST = re.compile(r"(?<![\w$.])export\s*\{(?P<names>[^}]*)\}\s*;?")
_EXPORT_DEFAULT = re.compile(r"(?<![\w$.])export\s+default\b")
_HANDLERS = ("request", "response")
# AppSync Events channel namespace handlers: a function, or (with a data source) an object with
# request and response functions, called as "onSubscribe.request" (invoke.js).
_EVENT_HANDLERS = ("onPublish", "onSubscribe")


def _bindings(clause: str, spec: str) -> str:
    source = f"__appsync.require({json.dumps(spec)})"
    clause = clause.strip()
    parts: list[str] = []
    default, _, rest = clause.partition(",") if not clause.startswith(("{", "*")) else ("", "", clause)
    default = default.strip()
    rest = rest.strip()
    if default:
        parts.append(f"const {default} = {source}.default;")
    if rest.startswith("*"):
        match = re.fullmatch(r"\*\s+as\s+([\w$]+)", rest)
        if not match:
            raise ModuleLoadError(f"cannot parse import clause {clause!r}")
        parts.append(f"const {match.group(1)} = {source};")
    elif rest.startswith("{"):
        names = []
        for item in rest.strip("{} \n\t").split(","):
            item = item.strip()
            if not item:
                continue
            original, _, alias = (s.strip() for s in item.partition(" as "))
            names.append(f"{original}: {alias}" if alias else original)
        parts.append(f"const {{ {', '.join(names)} }} = {source};")
    elif rest:
        raise ModuleLoadError(f"cannot parse import clause {clause!r}")
    return " ".join(parts)


def prepare_module(code: str, handle: str) -> str:
    """Rewrite an APPSYNC_JS module into a script that registers its handlers under `handle`."""

    def rewrite_import(match: re.Match[str]) -> str:
        spec = match.group("spec")
        if spec in UNSUPPORTED_MODULES:
            raise ModuleLoadError(f"module '{spec}' is not supported by the local APPSYNC_JS runtime")
        if spec not in BUILTIN_MODULES:
            raise ModuleLoadError(f"could not load module '{spec}'")
        clause = match.group("clause")
        return _bindings(clause, spec) if clause else ""

    body = _IMPORT.sub(rewrite_import, code)
    exported: dict[str, str] = {}

    def rewrite_export_list(match: re.Match[str]) -> str:
        for item in match.group("names").split(","):
            item = item.strip()
            if item:
                local, _, alias = (s.strip() for s in item.partition(" as "))
                exported[alias or local] = local
        return ""

    body = _EXPORT_LIST.sub(rewrite_export_list, body)
    body = _EXPORT_DECL.sub("", body)
    body = _EXPORT_DEFAULT.sub("const __appsync_default =", body)
    registrations = ", ".join(
        [f"{name}: (typeof {exported.get(name, name)} === 'function' ? {exported.get(name, name)} : undefined)"
         for name in _HANDLERS]
        + [f"{name}: (typeof {exported.get(name, name)} === 'function' || typeof {exported.get(name, name)} === "
           f"'object' ? {exported.get(name, name)} : undefined)" for name in _EVENT_HANDLERS]
    )
    return (
        "(function () {\n'use strict';\n"
        + body
        + f"\n;__appsync.handlers[{json.dumps(handle)}] = {{ {registrations} }};\n}})();\n"
    )


# ---------------------------------------------------------------------------- engine


def _runtime_source() -> str:
    folder = resources.files("appsync_local") / "runtime_js"
    return "\n".join((folder / name).read_text(encoding="utf-8") for name in RUNTIME_FILES)


_ID_KINDS = ("uuid", "ulid", "ksuid")


class JSEngine:
    """One QuickJS context with the APPSYNC_JS runtime library loaded. Not thread safe.

    QuickJS refuses calls into Python while a time limit is set, so every call receives the
    clock reading (one per handler call) and a supply of ids from the host. A handler that
    needs more ids than supplied is run again with enough of them (handlers are functions of
    their context); unused ids go back to the front of the queue, so `id_factory` is asked for
    exactly the ids the code consumes, in order.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        id_factory: IdFactory | None = None,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
        memory_limit_bytes: int | None = 64 * 1024 * 1024,
    ) -> None:
        self.clock: Clock = clock or time.time
        self.id_factory: IdFactory = id_factory or DefaultIds(self.clock)
        self._thread = threading.get_ident()
        self._context = _quickjs.Context()
        if memory_limit_bytes:
            self._context.set_memory_limit(memory_limit_bytes)
        # The limit stays set: quickjs-ng measures it from the start of each eval/call, and
        # switching it on and off around every call cost ~8 us per call.
        self.time_limit_ms = time_limit_ms
        self._context.eval(_runtime_source())
        self._invoke = self._context.eval("__appsync.invoke")
        self._evaluate = self._context.eval(
            "(function (setup, fn) { const s = JSON.parse(setup); const st = __appsync.state;"
            " st.nowMs = s.nowMs; st.ids = s.ids; st.idDemand = { uuid: 0, ulid: 0, ksuid: 0 }; st.idSeq = [];"
            " st.errors = []; st.extensions = {}; st.info = s.info || {}; st.logs = [];"
            " try { const value = fn(); return JSON.stringify({ value: value, idSeq: st.idSeq, logs: st.logs }); }"
            " catch (e) { if (e instanceof __appsync.ZoneMissing) return JSON.stringify({ status: 'needZone',"
            " zone: e.zone, idSeq: st.idSeq }); throw e; } })"
        )
        self._handles: dict[str, str] = {}
        self._handle_by_code: dict[str, str] = {}
        self._exports: dict[str, frozenset[str]] = {}
        self._spare_ids: dict[str, deque[str]] = {kind: deque() for kind in _ID_KINDS}
        self._expected_ids: dict[tuple[str, str], tuple[str, ...]] = {}

    @property
    def time_limit_ms(self) -> int:
        return self._time_limit_ms

    @time_limit_ms.setter
    def time_limit_ms(self, value: int) -> None:
        self._time_limit_ms = value
        self._context.set_time_limit(value / 1000.0)

    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise EngineThreadError("a JSEngine must only be used by the thread that created it")

    def _run(self, fn: Callable[[], Any], what: str) -> Any:
        try:
            return fn()
        except _quickjs.JSException as exc:
            if "interrupted" in str(exc):
                raise EngineTimeout(f"{what} exceeded the time limit of {self.time_limit_ms} ms") from None
            raise

    def _take_id(self, kind: str) -> str:
        spare = self._spare_ids[kind]
        return spare.popleft() if spare else self.id_factory(kind)

    def _with_supply(self, key: tuple[str, str], attempt: Callable[[float, dict[str, list[str]]], dict]) -> dict:
        now_ms = float(self.clock()) * 1000.0
        supply: dict[str, list[str]] = {"uuid": [], "ulid": [], "ksuid": []}
        # pre-supply what this handler took last time, in the order it took them
        for kind in self._expected_ids.get(key, ()):
            supply[kind].append(self._take_id(kind))
        for _ in range(100):
            result = attempt(now_ms, supply)
            if result.get("status") == "needZone":
                self._load_zone(result["zone"])
                continue
            sequence = result.get("idSeq") or ()
            demand = {"uuid": 0, "ulid": 0, "ksuid": 0}
            for kind in sequence:
                demand[kind] += 1
            if all(demand[kind] <= len(supply[kind]) for kind in _ID_KINDS):
                for kind in _ID_KINDS:
                    unused = supply[kind][demand[kind]:]
                    if unused:
                        self._spare_ids[kind].extendleft(reversed(unused))
                sequence = tuple(sequence)
                if self._expected_ids.get(key) != sequence:
                    self._expected_ids[key] = sequence
                return result
            # top up in the order the code asked for ids, so the factory sees that order
            seen = dict.fromkeys(_ID_KINDS, 0)
            for kind in sequence:
                seen[kind] += 1
                if seen[kind] > len(supply[kind]):
                    supply[kind].append(self._take_id(kind))
        raise EngineError("the code asked for a different number of ids on every run")

    def _load_zone(self, name: str) -> None:
        """Hand a named zone's offsets (or null: no such zone) to the runtime library."""
        table = zone_transitions(name)
        value = "null" if table is None else json.dumps([list(row) for row in table])
        self._context.eval(f"__appsync.zones[{json.dumps(name)}] = {value};")

    def load(self, code: str, name: str = "<code>") -> str:
        """Load an APPSYNC_JS module (once per distinct code); returns the handle to call it by."""
        self._check_thread()
        handle = self._handle_by_code.get(code)  # str hashes are cached: no per-call digest of the code
        if handle is not None:
            return handle
        handle = hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]
        if handle in self._handles:
            self._handle_by_code[code] = handle
            return handle
        try:
            validate_code(code, name)
        except UnsupportedCodeError as exc:
            raise UnsupportedCode(str(exc), exc.errors) from None
        try:
            script = prepare_module(code, handle)
        except ModuleLoadError as exc:
            raise ModuleLoadError(f"{name}: {exc}") from None
        try:
            self._run(lambda: self._context.eval(script), f"loading {name}")
        except _quickjs.JSException as exc:
            raise ModuleLoadError(f"{name}: {str(exc).strip()}") from None
        self._handles[handle] = name
        self._handle_by_code[code] = handle
        return handle

    def exports(self, handle: str) -> frozenset[str]:
        """The handlers a loaded module exports: request/response, onPublish/onSubscribe."""
        self._check_thread()
        names = self._exports.get(handle)
        if names is None:
            found = self._context.eval(
                f"(function (h) {{ return JSON.stringify(Object.keys(h).filter(function (k) {{"
                f" return h[k] !== undefined; }})); }})(__appsync.handlers[{json.dumps(handle)}] || {{}})")
            names = self._exports[handle] = frozenset(json.loads(found))
        return names

    def call(
        self, handle: str, handler: str, ctx: dict[str, Any], *, auth_type: str | None = None,
        ctx_json: str | None = None,
    ) -> dict[str, Any]:
        """Call `handler` ("request"/"response") of a loaded module with a context.

        `ctx_json`, when given, is `ctx` already encoded (a caller that calls several handlers
        with mostly the same context encodes the unchanging part once).
        Returns {"status": "ok"|"error"|"earlyReturn"|"exception", "value", "error", "skipTo",
        "stash", "errors", "extensions"}.
        """
        self._check_thread()
        # The context is serialised once per call (not per attempt) and spliced into the envelope.
        encoded = ctx_json if ctx_json is not None else _ENCODER.encode(ctx)
        head = '{"ctx":' + encoded + ',"authType":' + _ENCODER.encode(auth_type) + ',"nowMs":'
        name = self._handles.get(handle, handle)
        invoke = self._invoke

        def attempt(now_ms: float, ids: dict[str, list[str]]) -> dict:
            envelope = head + repr(now_ms) + ',"ids":' + _encode_ids(ids) + "}"
            try:
                raw = invoke(handle, handler, envelope)
            except _quickjs.JSException as exc:
                if "interrupted" in str(exc):
                    raise EngineTimeout(
                        f"{name} {handler}() exceeded the time limit of {self.time_limit_ms} ms"
                    ) from None
                raise EngineError(f"{name} {handler}(): {str(exc).strip()}") from None
            return _loads(raw)

        return self._with_supply((handle, handler), attempt)

    def evaluate(self, expression: str, *, info: dict[str, Any] | None = None) -> Any:
        """Evaluate a JS expression in the runtime's global scope and return its JSON value."""
        self._check_thread()
        fn = self._context.eval(f"(function () {{ 'use strict'; return ({expression}); }})")

        def attempt(now_ms: float, ids: dict[str, list[str]]) -> dict:
            setup = json.dumps({"nowMs": now_ms, "ids": ids, "info": info or {}})
            return json.loads(self._run(lambda: self._evaluate(setup, fn), "evaluate"))

        return self._with_supply(("<evaluate>", expression), attempt).get("value")


def _json_default(value: Any) -> Any:
    """Values boto3/moto hand back that JSON has no type for (Decimal, sets, bytes)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODER = json.JSONEncoder(default=_json_default)
encode_json = _ENCODER.encode  # the engine's JSON encoding (Decimal, sets, bytes included)
_loads = json.loads
_NO_IDS = '{"uuid":[],"ulid":[],"ksuid":[]}'


def _encode_ids(ids: dict[str, list[str]]) -> str:
    if not (ids["uuid"] or ids["ulid"] or ids["ksuid"]):
        return _NO_IDS
    return _ENCODER.encode(ids)
