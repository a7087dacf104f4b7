"""The resolver manifest: one declarative list of data sources, functions and resolvers.

The deployment (Pulumi's API component) and the local runtime both read it, so a resolver
is defined exactly once. It knows files, not projects: callers say where the manifest is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from appsync_local.validator import CodeError, check_code

# AppSync's own limit on the code of one function or resolver.
MAX_CODE_CHARS = 32_768

# Code reads stack values the AppSync way, as ctx.env.NAME. pulumi-aws cannot set a
# GraphQL API's environment variables yet, so the values are inlined at render time,
# identically for deployment and for the local runtime.
ENV_REFERENCE = re.compile(r"\bctx\.env\.([A-Za-z_][A-Za-z0-9_]*)\b")


class ManifestError(ValueError):
    """The manifest or a file it names is inconsistent."""


DATA_SOURCE_TYPES = ("AMAZON_DYNAMODB", "NONE", "HTTP", "AWS_LAMBDA")


class ResolverCodeError(ManifestError):
    """Resolver files use what AppSync's APPSYNC_JS runtime refuses (see appsync_local.validator).

    Raised when the manifest is loaded, so the local stack, the tests, `chatstack policy` and the
    Pulumi program all refuse the code that `pulumi up` would fail on.
    """

    def __init__(self, errors: dict[str, list[CodeError]]) -> None:
        self.errors = errors
        count = sum(len(found) for found in errors.values())
        lines = [
            f"{count} construct(s) in {len(errors)} resolver file(s) that AppSync's APPSYNC_JS runtime refuses "
            "(CreateFunction/CreateResolver answer BadRequestException: The code contains one or more errors):"
        ]
        for file, found in errors.items():
            lines.extend("  " + error.describe(file) for error in found)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class DataSource:
    name: str
    type: Literal["AMAZON_DYNAMODB", "NONE", "HTTP", "AWS_LAMBDA"]
    iam_actions: tuple[str, ...] = ()
    # HTTP: "self" = the API's own GraphQL endpoint, called with SigV4 (service appsync)
    # and allowed only `graphql_fields` ("Type.field").
    endpoint: str | None = None
    graphql_fields: tuple[str, ...] = ()
    # AWS_LAMBDA: the deployment may leave it out (it then deploys as NONE).
    optional: bool = False


@dataclass(frozen=True)
class Function:
    name: str
    file: str
    data_source: str


@dataclass(frozen=True)
class Resolver:
    type: str
    field: str
    kind: Literal["UNIT", "PIPELINE"]
    file: str
    data_source: str | None = None
    functions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.type}.{self.field}"


@dataclass(frozen=True)
class ResolverManifest:
    environment: tuple[str, ...]
    data_sources: tuple[DataSource, ...]
    functions: tuple[Function, ...]
    resolvers: tuple[Resolver, ...]
    root: Path  # the directory the files are relative to

    def data_source(self, name: str) -> DataSource:
        for source in self.data_sources:
            if source.name == name:
                return source
        raise ManifestError(f"unknown data source {name!r}")

    def function(self, name: str) -> Function:
        for function in self.functions:
            if function.name == name:
                return function
        raise ManifestError(f"unknown function {name!r}")

    def source(self, relative_file: str) -> str:
        return (self.root / relative_file).read_text(encoding="utf-8")

    def render(self, relative_file: str, env: dict[str, str]) -> str:
        """The code deployed for a file: its text with every ctx.env.NAME inlined."""
        return render_code(self.source(relative_file), env, relative_file)


def render_code(code: str, env: dict[str, str], origin: str = "<code>") -> str:
    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ManifestError(f"{origin} reads ctx.env.{name}, which the stack does not provide")
        return json.dumps(str(env[name]))

    rendered = ENV_REFERENCE.sub(inline, code)
    if len(rendered) > MAX_CODE_CHARS:
        raise ManifestError(f"{origin} is {len(rendered)} characters; AppSync allows {MAX_CODE_CHARS}")
    return rendered


def load_manifest(path: Path) -> ResolverManifest:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = path.parent
    manifest = ResolverManifest(
        environment=tuple(raw.get("environment", [])),
        data_sources=tuple(
            DataSource(
                name=d["name"],
                type=d["type"],
                iam_actions=tuple(d.get("iamActions", [])),
                endpoint=d.get("endpoint"),
                graphql_fields=tuple(d.get("graphqlFields", [])),
                optional=bool(d.get("optional", False)),
            )
            for d in raw["dataSources"]
        ),
        functions=tuple(
            Function(name=f["name"], file=f["file"], data_source=f["dataSource"]) for f in raw.get("functions", [])
        ),
        resolvers=tuple(
            Resolver(
                type=r["type"],
                field=r["field"],
                kind=r["kind"],
                file=r["file"],
                data_source=r.get("dataSource"),
                functions=tuple(r.get("functions", [])),
            )
            for r in raw["resolvers"]
        ),
        root=root,
    )
    _check(manifest)
    return manifest


def _check(manifest: ResolverManifest) -> None:
    names = [r.name for r in manifest.resolvers]
    if len(names) != len(set(names)):
        raise ManifestError("a field has more than one resolver")
    for source in manifest.data_sources:
        if source.type not in DATA_SOURCE_TYPES:
            raise ManifestError(f"data source {source.name}: type must be one of {', '.join(DATA_SOURCE_TYPES)}")
        if source.type == "HTTP" and (source.endpoint != "self" or not source.graphql_fields):
            raise ManifestError(f"data source {source.name}: HTTP data sources call the API itself "
                                "(endpoint: self) and name the graphqlFields they may call")
        if source.optional and source.type != "AWS_LAMBDA":
            raise ManifestError(f"data source {source.name}: only AWS_LAMBDA data sources can be optional")
    for function in manifest.functions:
        manifest.data_source(function.data_source)
    for resolver in manifest.resolvers:
        if resolver.kind == "UNIT":
            if resolver.data_source is None or resolver.functions:
                raise ManifestError(f"{resolver.name}: a UNIT resolver has a dataSource and no functions")
            manifest.data_source(resolver.data_source)
        elif resolver.kind == "PIPELINE":
            if resolver.data_source is not None or not resolver.functions:
                raise ManifestError(f"{resolver.name}: a PIPELINE resolver has functions and no dataSource")
            if len(resolver.functions) > 10:
                raise ManifestError(f"{resolver.name}: AppSync allows at most 10 functions per pipeline")
            for name in resolver.functions:
                manifest.function(name)
        else:
            raise ManifestError(f"{resolver.name}: kind must be UNIT or PIPELINE")
    files = [f.file for f in manifest.functions] + [r.file for r in manifest.resolvers]
    refused: dict[str, list[CodeError]] = {}
    for relative in dict.fromkeys(files):
        if not (manifest.root / relative).is_file():
            raise ManifestError(f"missing resolver file {relative}")
        source = manifest.source(relative)
        for name in ENV_REFERENCE.findall(source):
            if name not in manifest.environment:
                raise ManifestError(f"{relative} reads ctx.env.{name}, not declared under environment")
        found = check_code(source)
        if found:
            refused[str(manifest.root / relative)] = found
    if refused:
        raise ResolverCodeError(refused)
