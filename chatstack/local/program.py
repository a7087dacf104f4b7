"""The Pulumi program as the local stack reads it: evaluated under mocks, its registered
resolvers checked against the manifest (the local runtime runs exactly the deployed code),
and the local stand-ins for its non-DynamoDB data sources."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appsync_local.manifest import ENV_REFERENCE, ResolverManifest
from appsync_local.sigv4 import IamPrincipal
from chatstack.local.errors import LocalStackError
from chatstack.offline.evaluation import MOCK_ACCOUNT, ProgramRun, evaluate_program
from chatstack.project import read_stack_config

GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
FUNCTION = "aws:appsync/function:Function"
RESOLVER = "aws:appsync/resolver:Resolver"

# (manifest, env, dynamodb client, {data source name: HTTP/Lambda stand-in}) -> ResolverRuntime
RuntimeFactory = Callable[[ResolverManifest, dict[str, str], Any, dict[str, Any]], Any]


def _code_pattern(source: str) -> re.Pattern[str]:
    """A regex matching `source` rendered with any env values (JSON strings), capturing them."""
    parts = ENV_REFERENCE.split(source)  # text, NAME, text, NAME, ...
    regex = ""
    for index, part in enumerate(parts):
        regex += re.escape(part) if index % 2 == 0 else r'("(?:[^"\\]|\\.)*")'
    return re.compile(regex, re.DOTALL)


def stack_environment(run: ProgramRun, manifest: ResolverManifest) -> dict[str, str]:
    """The ctx.env values the program rendered into its functions and resolvers.

    Read back from the registered code (matched against the manifest's sources), and the
    whole manifest re-rendered with them must equal what the program registered: the
    local runtime then runs exactly the code the stack deploys.
    """
    registered: dict[str, str] = {}
    for function in run.of_type(FUNCTION):
        registered[f"function:{function.inputs['name']}"] = function.inputs["code"]
    for resolver in run.of_type(RESOLVER):
        registered[f"resolver:{resolver.inputs['type']}.{resolver.inputs['field']}"] = resolver.inputs["code"]
    expected = {f"function:{f.name}": f.file for f in manifest.functions}
    expected.update({f"resolver:{r.name}": r.file for r in manifest.resolvers})
    if set(registered) != set(expected):
        raise LocalStackError(
            "the program's functions/resolvers differ from resolvers/manifest.yaml: "
            f"registered only {sorted(set(registered) - set(expected))}, "
            f"manifest only {sorted(set(expected) - set(registered))}"
        )
    env: dict[str, str] = {}
    for key, relative in expected.items():
        source = manifest.source(relative)
        names = ENV_REFERENCE.findall(source)
        match = _code_pattern(source).fullmatch(registered[key])
        if match is None:
            raise LocalStackError(f"{key}: the registered code is not {relative} rendered")
        for name, literal in zip(names, match.groups(), strict=True):
            value = json.loads(literal)
            if env.setdefault(name, value) != value:
                raise LocalStackError(f"ctx.env.{name} is rendered with two values ({env[name]!r}, {value!r})")
    for key, relative in expected.items():
        if manifest.render(relative, env) != registered[key]:
            raise LocalStackError(f"{key}: the registered code differs from {relative} rendered with {env}")
    return env


def check_pipelines(run: ProgramRun, manifest: ResolverManifest) -> None:
    """The registered pipelines name the manifest's functions, in the manifest's order."""
    by_function_id = {f.id.split("-", 1)[1]: f.inputs["name"] for f in run.of_type(FUNCTION)}
    for resolver in run.of_type(RESOLVER):
        i = resolver.inputs
        declared = next(r for r in manifest.resolvers if r.type == i["type"] and r.field == i["field"])
        if i.get("kind") != declared.kind:
            raise LocalStackError(f"{declared.name}: registered kind {i.get('kind')}, manifest {declared.kind}")
        if declared.kind == "PIPELINE":
            names = tuple(by_function_id.get(fid, fid) for fid in (i.get("pipelineConfig") or {}).get("functions", []))
            if names != declared.functions:
                raise LocalStackError(f"{declared.name}: registered pipeline {names}, manifest {declared.functions}")
        elif i.get("dataSource") != declared.data_source:
            raise LocalStackError(f"{declared.name}: registered data source {i.get('dataSource')}")
    registered_sources = {d.inputs["name"]: d.inputs["type"] for d in run.of_type(DATA_SOURCE)}
    declared_sources = {d.name: d.type for d in manifest.data_sources}
    for source in manifest.data_sources:  # an optional Lambda the stack leaves out deploys as NONE
        if source.optional and registered_sources.get(source.name) == "NONE":
            declared_sources[source.name] = "NONE"
    if registered_sources != declared_sources:
        raise LocalStackError(f"data sources: registered {registered_sources}, manifest {declared_sources}")


def evaluate_stack(stack: str, root: Path, overrides: dict[str, str] | None = None) -> ProgramRun:
    """evaluate_program in a worker thread: Pulumi's runtime wants an event loop of its own.
    `overrides`: qualified config keys (chatstack:attendeeAuth) replacing the stack file's values."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        config = {**read_stack_config(stack, root), **overrides} if overrides else None
        return evaluate_program(stack, root, config)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def default_runtime_factory(
    manifest: ResolverManifest, env: dict[str, str], dynamodb: Any, data_sources: dict[str, Any]
) -> Any:
    try:
        from appsync_local.executor import LocalResolverRuntime
    except ImportError as error:
        raise LocalStackError(f"the local resolver runtime is not available: {error}") from error
    return LocalResolverRuntime(manifest, env, dynamodb, data_sources=data_sources)


def review_handler(config: Any) -> Callable[[Any], Any]:
    """The Python callable that stands in for the review Lambda (chatstack:messageReviewLocalHandler)."""
    import importlib

    spec = config.message_review_local_handler
    if not spec:
        raise LocalStackError(
            "chatstack:messageReviewFunctionArn is set, so the local stack needs a stand-in for the review "
            "Lambda: set chatstack:messageReviewLocalHandler to module:function (same event and result)"
        )
    module_name, _, function_name = spec.partition(":")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        raise LocalStackError(f"chatstack:messageReviewLocalHandler: cannot load {spec}: {error}") from error
    if not callable(handler):
        raise LocalStackError(f"chatstack:messageReviewLocalHandler: {spec} is not callable")
    return handler


# The review Lambda's budget locally; AppSync waits as long as the function's own timeout
# (at least 1 s), so a deployed hook should set a short one (IVS Chat allows 200 ms).
LOCAL_REVIEW_TIMEOUT_SECONDS = 1.0


def remote_data_sources(
    run: ProgramRun, manifest: ResolverManifest, config: Any, origin: str, principal: IamPrincipal, region: str,
    ca_file: Any = None,
) -> dict[str, Any]:
    """Local stand-ins for the manifest's HTTP (the API itself, signed as `principal`; over TLS
    trusting `ca_file`, the local CA) and AWS_LAMBDA (a Python callable) data sources, as the
    program registered them."""
    import ssl

    from appsync_local.remote_sources import HttpDataSource, LambdaDataSource
    from appsync_local.sigv4 import request_signer

    registered = {d.inputs["name"]: d.inputs["type"] for d in run.of_type(DATA_SOURCE)}
    sources: dict[str, Any] = {}
    for source in manifest.data_sources:
        if source.type == "HTTP":
            sources[source.name] = HttpDataSource(
                origin, sign=request_signer(principal, region),
                ssl_context=ssl.create_default_context(cafile=str(ca_file)) if ca_file else None)
        elif source.type == "AWS_LAMBDA" and registered.get(source.name) == "AWS_LAMBDA":
            handler = review_handler(config)
            sources[source.name] = LambdaDataSource(handler, timeout_seconds=LOCAL_REVIEW_TIMEOUT_SECONDS)
    return sources


def local_backend_principal(run: ProgramRun, role: str) -> IamPrincipal:
    """An IAM identity a local backend caller signs with (role "fanout": the fan-out consumer;
    "events": the moderation pipelines' HTTP data source): fresh secret per start."""
    return IamPrincipal(
        access_key_id=f"AKIALOCAL{role.upper()}",
        secret_access_key=secrets.token_hex(20),
        account_id=MOCK_ACCOUNT,
        user_arn=f"arn:aws:iam::{MOCK_ACCOUNT}:role/{run.project}-{run.stack}-{role}",
    )
