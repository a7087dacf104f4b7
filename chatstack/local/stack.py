"""`chatstack local`: one event stack served offline, built from the Pulumi program itself.

Nothing here defines the stack a second time. `evaluate_program(stack)` runs
`__main__.py` under mocks; the resources it registers are materialised:

- the DynamoDB table and the Cognito pool, client and groups in moto (its server in a
  process of its own, on loopback), from the registered `aws:dynamodb/table:Table` and `aws:cognito/*` inputs;
- the GraphQL API (registered schema, auth mode, introspection, depth limit) on a local
  AppSync endpoint (appsync_local.server), its data sources, functions and resolvers in
  the local resolver runtime (appsync_local.executor), from the resolver manifest with the
  stack values read back out of the registered, rendered code;
- in batched fan-out stacks, the stream consumer (chatstack.local.fanout), publishing with
  SigV4 as a local backend principal;
- in `oidc` stacks (chatstack:attendeeAuth), the event platform's issuer
  (chatstack.local.oidc) on the same port, standing in for chatstack:oidcIssuer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import logging
import os
import re
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appsync_local.manifest import ENV_REFERENCE, ResolverManifest
from appsync_local.server.auth import OidcJwtVerifier
from appsync_local.sigv4 import IamPrincipal, SigV4Verifier
from chatstack.config import parse_stack_values
from chatstack.local.archive import LocalArchiver
from chatstack.local.direct_dynamodb import SOCKET_FILE as DIRECT_SOCKET_FILE
from chatstack.local.direct_dynamodb import DirectDynamoDB
from chatstack.local.fanout import LocalStreamConsumer
from chatstack.local.oidc import AttendeeClaims, LocalOidcIssuer
from chatstack.local.stack_secrets import TlsFiles, local_admin, signing_key, tls_files
from chatstack.local.state_file import StateDirLock, StateFileError, open_private, private_dir
from chatstack.offline.evaluation import MOCK_ACCOUNT, ProgramRun, RegisteredResource, evaluate_program
from chatstack.oidc_client_id import literal_client_id
from chatstack.project import Project, find_project, read_stack_config
from fanout_consumer.publisher import AppSyncPublisher

TABLE = "aws:dynamodb/table:Table"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
USER_GROUP = "aws:cognito/userGroup:UserGroup"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
FUNCTION = "aws:appsync/function:Function"
RESOLVER = "aws:appsync/resolver:Resolver"

# Exactly the deployed stack's outputs; the local stack adds LOCAL_OUTPUT_KEYS.
OUTPUT_KEYS = ("graphqlUrl", "realtimeUrl", "apiId", "region", "userPoolId", "userPoolClientId", "tableName",
               "fanOutMode", "attendeeAuth", "selfSignUp")
# oidc stacks only: how the web client signs attendees in (the issuer is the local one).
OIDC_OUTPUT_KEYS = ("oidcClientId", "oidcScopes", "oidcModeratorClaim", "embedOrigins")
# The client id the local issuer's browser login serves when the stack names none (AppSync then
# checks no audience, so any id works).
LOCAL_WEB_CLIENT_ID = "chatstack-local-web"
# cognitoEndpoint: local Cognito (Amplify's Auth.Cognito.userPoolEndpoint); dynamodbEndpoint: the
# table's DynamoDB API; localAdmin: the only credential either accepts for admin calls;
# tlsCaFile (with --tls): the CA to trust; oidcIssuer (attendeeAuth oidc): the local issuer.
LOCAL_OUTPUT_KEYS = ("cognitoEndpoint", "dynamodbEndpoint", "localAdmin", "tlsCaFile", "oidcIssuer")

MOTO_STATE_FILE = "moto.pickle"
ARCHIVE_DIR = "archive"  # under .chatstack/<stack>/: the chat's archive (chatstack.local.archive)

# (manifest, env, dynamodb client, {data source name: HTTP/Lambda stand-in}) -> ResolverRuntime
RuntimeFactory = Callable[[ResolverManifest, dict[str, str], Any, dict[str, Any]], Any]


class MotoProcess:
    """moto's server in a process of its own (chatstack.local.moto_server), behind the local
    Cognito front (chatstack.local.cognito): DynamoDB and Cognito work then runs on another
    core than the endpoint and the resolver runtime, each local stack has its own state, kept
    in `state_file` when one is given, and the process ends with this one, however this one
    ends (it watches a pipe only this process holds). Its output goes to `log_path` (mode
    0600: it shows confirmation codes). The state directory is locked for as long as either
    process lives (the child inherits the lock), so no second server writes the same state."""

    def __init__(self, process: subprocess.Popen, port: int, parent_end: int, log_path: Path,
                 lock: StateDirLock | None = None):
        self.process = process
        self.port = port
        self._parent_end = parent_end
        self.log_path = log_path
        self._lock = lock

    @property
    def direct_socket(self) -> Path:
        """Where the resolvers reach DynamoDB (chatstack.local.direct_dynamodb)."""
        return self.log_path.parent / DIRECT_SOCKET_FILE

    def last_log_line(self) -> str:
        return _last_line(self.log_path)

    @classmethod
    def start(cls, stack_dir: Path, region: str, tls: TlsFiles | None = None, state_file: Path | None = None,
              timeout: float = 30.0, fresh: bool = False) -> MotoProcess:
        """`fresh` discards the kept state (once the directory is ours: never another server's)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        lock = None
        if state_file is not None:
            try:
                lock = StateDirLock(state_file.parent).acquire()
            except StateFileError as error:
                raise LocalStackError(str(error)) from None
            if fresh:
                state_file.unlink(missing_ok=True)
        child_end, parent_end = os.pipe()  # not inheritable: only this child gets child_end
        command = [sys.executable, "-m", "chatstack.local.moto_server", "--port", str(port),
                   "--parent-fd", str(child_end), "--region", region, "--stack-dir", str(stack_dir),
                   "--direct-socket", str(stack_dir / DIRECT_SOCKET_FILE)]
        if state_file is not None:
            command += ["--state", str(state_file)]
        if tls is not None:
            command += ["--tls-certificate", str(tls.certificate), "--tls-key", str(tls.private_key)]
        log_path = private_dir(stack_dir) / "moto.log"
        inherited = (child_end, *((lock.fd,) if lock else ()))
        try:
            with os.fdopen(open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "ab") as log_file:
                process = subprocess.Popen(command, pass_fds=inherited, stdout=log_file, stderr=subprocess.STDOUT)
        finally:
            os.close(child_end)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                os.close(parent_end)
                if lock:
                    lock.release()
                line = _last_line(log_path)
                raise LocalStackError(f"moto server exited with code {process.returncode}"
                                      + (f": {line}" if line else "") + f" (log: {log_path})")
            try:  # the front answers no unauthenticated probe: a listening socket means ready
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return cls(process, port, parent_end, log_path, lock)
            except OSError:
                time.sleep(0.1)
        process.kill()
        os.close(parent_end)
        if lock:
            lock.release()
        raise LocalStackError(f"moto server did not answer on port {port} within {timeout:.0f} s (log: {log_path})")

    def stop(self) -> None:
        """SIGTERM: the server saves its state (if it keeps one) and exits."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            with contextlib.suppress(OSError):
                os.close(self._parent_end)
            if self._lock is not None:
                self._lock.release()


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1].removeprefix("refused: ") if lines else ""


class LocalStackError(RuntimeError):
    """The stack cannot be served locally (the message says why)."""


class PortInUseError(LocalStackError):
    pass


# ---- reading the registered resources --------------------------------------------------

def _int(value: Any) -> int:
    return int(float(value))


def table_definition(table: RegisteredResource) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """CreateTable arguments and the TTL specification, from a registered Table's inputs."""
    i = table.inputs
    key_schema = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
    if i.get("rangeKey"):
        key_schema.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
    provisioned = i.get("billingMode") == "PROVISIONED"
    args: dict[str, Any] = {
        "TableName": i["name"],
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
        "KeySchema": key_schema,
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        args["ProvisionedThroughput"] = {
            "ReadCapacityUnits": _int(i.get("readCapacity", 5)),
            "WriteCapacityUnits": _int(i.get("writeCapacity", 5)),
        }

    def projection(index: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = {"ProjectionType": index.get("projectionType", "ALL")}
        if index.get("nonKeyAttributes"):
            spec["NonKeyAttributes"] = list(index["nonKeyAttributes"])
        return spec

    gsis = []
    for index in i.get("globalSecondaryIndexes") or []:
        if index.get("keySchemas"):
            keys = [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]]
        else:  # the deprecated hashKey/rangeKey form
            keys = [{"AttributeName": index["hashKey"], "KeyType": "HASH"}]
            if index.get("rangeKey"):
                keys.append({"AttributeName": index["rangeKey"], "KeyType": "RANGE"})
        gsi: dict[str, Any] = {"IndexName": index["name"], "KeySchema": keys, "Projection": projection(index)}
        if provisioned:
            gsi["ProvisionedThroughput"] = {
                "ReadCapacityUnits": _int(index.get("readCapacity", 5)),
                "WriteCapacityUnits": _int(index.get("writeCapacity", 5)),
            }
        gsis.append(gsi)
    if gsis:
        args["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {
            "IndexName": index["name"],
            "KeySchema": [
                {"AttributeName": i["hashKey"], "KeyType": "HASH"},
                {"AttributeName": index["rangeKey"], "KeyType": "RANGE"},
            ],
            "Projection": projection(index),
        }
        for index in i.get("localSecondaryIndexes") or []
    ]
    if lsis:
        args["LocalSecondaryIndexes"] = lsis
    if i.get("streamEnabled"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": i["streamViewType"]}
    ttl = i.get("ttl") or {}
    ttl_spec = {"Enabled": True, "AttributeName": ttl["attributeName"]} if ttl.get("enabled") else None
    return args, ttl_spec


def user_pool_definition(pool: RegisteredResource) -> dict[str, Any]:
    i = pool.inputs
    args: dict[str, Any] = {"PoolName": i["name"]}
    policy = i.get("passwordPolicy")
    if policy:
        password: dict[str, Any] = {}
        for source, target in (
            ("minimumLength", "MinimumLength"),
            ("temporaryPasswordValidityDays", "TemporaryPasswordValidityDays"),
        ):
            if source in policy:
                password[target] = _int(policy[source])
        for source, target in (
            ("requireUppercase", "RequireUppercase"),
            ("requireLowercase", "RequireLowercase"),
            ("requireNumbers", "RequireNumbers"),
            ("requireSymbols", "RequireSymbols"),
        ):
            if source in policy:
                password[target] = bool(policy[source])
        args["Policies"] = {"PasswordPolicy": password}
    for source, target in (
        ("aliasAttributes", "AliasAttributes"),
        ("usernameAttributes", "UsernameAttributes"),
        ("autoVerifiedAttributes", "AutoVerifiedAttributes"),
    ):
        if i.get(source):
            args[target] = list(i[source])
    recovery = (i.get("accountRecoverySetting") or {}).get("recoveryMechanisms")
    if recovery:
        args["AccountRecoverySetting"] = {
            "RecoveryMechanisms": [{"Name": m["name"], "Priority": _int(m["priority"])} for m in recovery]
        }
    admin_only = (i.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly")
    if admin_only is not None:
        # Recorded, not enforced: moto lets SignUp through anyway (README: local differences).
        args["AdminCreateUserConfig"] = {"AllowAdminCreateUserOnly": bool(admin_only)}
    if i.get("tags"):
        args["UserPoolTags"] = dict(i["tags"])
    return args


def user_pool_client_definition(client: RegisteredResource, user_pool_id: str) -> dict[str, Any]:
    i = client.inputs
    args: dict[str, Any] = {
        "UserPoolId": user_pool_id,
        "ClientName": i["name"],
        "GenerateSecret": bool(i.get("generateSecret", False)),
    }
    for source, target in (
        ("explicitAuthFlows", "ExplicitAuthFlows"),
        ("readAttributes", "ReadAttributes"),
        ("writeAttributes", "WriteAttributes"),
    ):
        if i.get(source):
            args[target] = list(i[source])
    if i.get("preventUserExistenceErrors"):
        args["PreventUserExistenceErrors"] = i["preventUserExistenceErrors"]
    if "enableTokenRevocation" in i:
        args["EnableTokenRevocation"] = bool(i["enableTokenRevocation"])
    for source, target in (
        ("accessTokenValidity", "AccessTokenValidity"),
        ("idTokenValidity", "IdTokenValidity"),
        ("refreshTokenValidity", "RefreshTokenValidity"),
    ):
        if source in i:
            args[target] = _int(i[source])
    units = i.get("tokenValidityUnits")
    if units:
        args["TokenValidityUnits"] = {
            target: units[source]
            for source, target in (("accessToken", "AccessToken"), ("idToken", "IdToken"),
                                   ("refreshToken", "RefreshToken"))
            if source in units
        }
    return args


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


# ---- materialising ---------------------------------------------------------------------

@dataclass
class Materialised:
    table_name: str
    user_pool_id: str
    client_id: str
    groups: list[str]
    region: str
    # What of a kept state was brought in line with the stack's config (printed at start).
    followed: tuple[str, ...] = ()


def _same_table(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def keys(spec: dict[str, Any]) -> Any:
        indexes = {i["IndexName"]: i["KeySchema"] for i in spec.get("GlobalSecondaryIndexes") or []}
        indexes.update({i["IndexName"]: i["KeySchema"] for i in spec.get("LocalSecondaryIndexes") or []})
        return spec["KeySchema"], indexes

    return keys(existing) == keys(wanted)


def materialise(run: ProgramRun, dynamodb: Any, cognito: Any) -> Materialised:
    """Create the registered table, user pool, client and groups in (moto's) AWS APIs, or
    reuse them as a kept state (--state-dir) restored them: same names, same ids."""
    table = run.one(TABLE)
    create_table, ttl = table_definition(table)
    table_name = create_table["TableName"]
    if table_name in dynamodb.list_tables()["TableNames"]:
        existing = dynamodb.describe_table(TableName=table_name)["Table"]
        if not _same_table(existing, create_table):
            raise LocalStackError(f"the kept state's table {table_name} has other keys or indexes than the "
                                  "stack defines now: start with --fresh (its items are lost) or another --state-dir")
    else:
        dynamodb.create_table(**create_table)
        if ttl:
            dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)

    pool = run.one(USER_POOL)
    pool_args = user_pool_definition(pool)
    kept_pools = [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
                  if p["Name"] == pool_args["PoolName"]]
    pool_id = kept_pools[0] if kept_pools else cognito.create_user_pool(**pool_args)["UserPool"]["Id"]
    followed = follow_pool_config(cognito, pool_id, pool_args) if kept_pools else []
    clients = [c for c in run.of_type(USER_POOL_CLIENT) if c.inputs.get("userPoolId") == pool.id]
    if len(clients) != 1:
        raise LocalStackError(f"expected one client of user pool {pool.name}, found {len(clients)}")
    client_args = user_pool_client_definition(clients[0], pool_id)
    kept_clients = [c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
                    ["UserPoolClients"] if c["ClientName"] == client_args["ClientName"]]
    client_id = kept_clients[0] if kept_clients else (
        cognito.create_user_pool_client(**client_args)["UserPoolClient"]["ClientId"])
    if kept_clients:
        followed += follow_client_config(cognito, pool_id, client_id, client_args)
    kept_groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    groups = []
    for group in run.of_type(USER_GROUP):
        if group.inputs.get("userPoolId") != pool.id:
            continue
        args: dict[str, Any] = {"GroupName": group.inputs["name"], "UserPoolId": pool_id}
        if group.inputs.get("description"):
            args["Description"] = group.inputs["description"]
        if "precedence" in group.inputs:
            args["Precedence"] = _int(group.inputs["precedence"])
        if args["GroupName"] not in kept_groups:
            cognito.create_group(**args)
        groups.append(group.inputs["name"])
    return Materialised(
        table_name=table_name,
        user_pool_id=pool_id,
        client_id=client_id,
        groups=groups,
        region=str(run.outputs.get("region") or run.config.get("aws:region", "us-east-1")),
        followed=tuple(followed),
    )


# What `pulumi up` would change on a live pool in place, and what makes it replace the pool.
POOL_SETTINGS_IN_PLACE = ("Policies", "AutoVerifiedAttributes", "AccountRecoverySetting", "AdminCreateUserConfig",
                          "UserPoolTags")
POOL_SETTINGS_FIXED = ("UsernameAttributes", "AliasAttributes")


def _differs(kept: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return sorted(map(str, kept or [])) != sorted(map(str, wanted))
    if isinstance(wanted, dict):
        return any(_differs((kept or {}).get(k), v) for k, v in wanted.items())
    return kept != wanted


def follow_pool_config(cognito: Any, pool_id: str, wanted: dict[str, Any]) -> list[str]:
    """A kept pool brought in line with the stack's config as `pulumi up` would (its users stay);
    LocalStackError, naming --fresh, for what Cognito cannot change on an existing pool."""
    kept = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    fixed = [key for key in POOL_SETTINGS_FIXED if _differs(kept.get(key), wanted.get(key, []))]
    if fixed:
        raise LocalStackError(
            f"the kept state's user pool has other {', '.join(fixed)} than the stack defines now, which Cognito "
            "cannot change on an existing pool: start with --fresh (its users are lost) or another --state-dir")
    changed = [key for key in POOL_SETTINGS_IN_PLACE if key in wanted and _differs(kept.get(key), wanted[key])]
    if changed:
        cognito.update_user_pool(UserPoolId=pool_id, **{k: wanted[k] for k in POOL_SETTINGS_IN_PLACE if k in wanted})
        return [f"user pool {', '.join(changed)} follow the stack's config now (kept users stay)"]
    return []


def follow_client_config(cognito: Any, pool_id: str, client_id: str, wanted: dict[str, Any]) -> list[str]:
    """A kept app client brought in line with the stack's config (auth flows, attributes, token
    lifetimes), as `pulumi up` would; its id stays, so issued tokens and outputs stay valid."""
    kept = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    if bool(kept.get("ClientSecret")) != bool(wanted.get("GenerateSecret")):
        raise LocalStackError("the kept state's app client differs in having a secret, which Cognito cannot change: "
                              "start with --fresh (its users are lost) or another --state-dir")
    settings = {k: v for k, v in wanted.items() if k not in ("UserPoolId", "GenerateSecret")}
    changed = [key for key, value in settings.items() if key != "ClientName" and _differs(kept.get(key), value)]
    if not changed:
        return []
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **settings)
    return [f"app client {', '.join(changed)} follow the stack's config now (same client id)"]


def _evaluate(stack: str, root: Path, overrides: dict[str, str] | None = None) -> ProgramRun:
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
    run: ProgramRun, manifest: ResolverManifest, config: Any, origin: str, principal: IamPrincipal, region: str
) -> dict[str, Any]:
    """Local stand-ins for the manifest's HTTP (the API itself, signed as `principal`) and
    AWS_LAMBDA (a Python callable) data sources, as the program registered them."""
    from appsync_local.remote_sources import HttpDataSource, LambdaDataSource
    from appsync_local.sigv4 import request_signer

    registered = {d.inputs["name"]: d.inputs["type"] for d in run.of_type(DATA_SOURCE)}
    sources: dict[str, Any] = {}
    for source in manifest.data_sources:
        if source.type == "HTTP":
            sources[source.name] = HttpDataSource(origin, sign=request_signer(principal, region))
        elif source.type == "AWS_LAMBDA" and registered.get(source.name) == "AWS_LAMBDA":
            handler = review_handler(config)
            sources[source.name] = LambdaDataSource(handler, timeout_seconds=LOCAL_REVIEW_TIMEOUT_SECONDS)
    return sources


def bind(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            reason = "already in use" if error.errno == errno.EADDRINUSE else "not available (permission denied)"
            raise PortInUseError(f"port {port} on {host} is {reason}; choose another with --port") from error
        raise LocalStackError(f"cannot listen on {host}:{port}: {error}") from error


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    """Atomically: a temp file in the same directory, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(outputs, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@dataclass
class LocalStack:
    """The stack's resources in moto plus the local AppSync endpoint, on loopback."""

    stack: str
    host: str = "127.0.0.1"
    port: int = 0
    root: Path = field(default_factory=lambda: find_project().root)
    runtime_factory: RuntimeFactory = default_runtime_factory
    keepalive_seconds: float = 60.0
    # Real-time connections open at once (`chatstack local --max-connections`); more are refused.
    max_connections: int = 1000
    # Optional AWS_IAM verification for the endpoint (see LocalAppSync), e.g. SigV4Verifier.verify.
    iam_verify: Callable[..., Any] | None = None
    # `chatstack local --config KEY=VALUE`: qualified keys replacing Pulumi.<stack>.yaml values.
    config_overrides: dict[str, str] = field(default_factory=dict)
    # What the stack generates (the OIDC issuer's and Cognito's keys, localAdmin, moto's log);
    # default .chatstack/<stack>/.
    state_dir: Path | None = None
    # Where moto's state (the table's items, the pool's users) is kept across restarts
    # (`chatstack local --state-dir`); None keeps it in memory only. `fresh` discards it first.
    data_dir: Path | None = None
    fresh: bool = False
    # HTTPS and WSS (a local CA under .chatstack/tls), as Amplify's real-time client needs.
    tls: bool = False
    # The built web client (web/dist) to serve at the endpoint's root (chatstack.local.web), or None.
    web_dist: Path | None = None
    run: ProgramRun | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fanout = None
        self.archiver: LocalArchiver | None = None
        self.fanout_principal = None
        self.events_principal = None
        self._moto = None
        self._runner = None
        self.appsync = None
        self.runtime = None
        self.dynamodb = None
        self.direct_dynamodb: DirectDynamoDB | None = None
        self.direct_streams: DirectDynamoDB | None = None
        self.cognito = None
        self.oidc_issuer: LocalOidcIssuer | None = None
        self.cognito_verifier = None
        self.stack_dir = private_dir(self.state_dir or Project(self.root).state_dir / self.stack)
        # Set when the stack can no longer serve (its database process died): why, for the operator.
        self.failed = asyncio.Event()
        self.failure: str | None = None
        self._watch: asyncio.Task | None = None
        self.tls_files = tls_files(Project(self.root).state_dir / "tls") if self.tls else None
        self.local_admin = local_admin(self.stack_dir)
        self.signing_key = signing_key(self.stack_dir)
        self.moto_log = self.stack_dir / "moto.log"  # moto's own output (MotoProcess.start)

    def _moto_state_file(self) -> Path | None:
        if self.data_dir is None:
            return None
        return Path(self.data_dir) / MOTO_STATE_FILE

    def _client(self, service: str, endpoint: str, region: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service, endpoint_url=endpoint, region_name=region,
            aws_access_key_id=self.local_admin["accessKeyId"],
            aws_secret_access_key=self.local_admin["secretAccessKey"],
            verify=str(self.tls_files.ca_certificate) if self.tls_files else None,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )

    async def start(self, sock: socket.socket | None = None) -> dict[str, Any]:
        from aiohttp import web

        from appsync_local.server import CognitoJwtVerifier, GraphQLEndpoint, LocalAppSync, TokenVerifiers

        started = time.perf_counter()
        sock = sock or bind(self.host, self.port)
        host, port = sock.getsockname()[:2]
        if self.run is None:
            self.run = await asyncio.to_thread(_evaluate, self.stack, self.root, self.config_overrides)
        run = self.run
        self.timings["evaluate"] = time.perf_counter() - started
        manifest = Project(self.root).manifest()
        env = stack_environment(run, manifest)
        check_pipelines(run, manifest)
        api = run.one(GRAPHQL_API)

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        region = str(run.outputs.get("region") or run.config.get("aws:region", "us-east-1"))
        self._moto = await asyncio.to_thread(MotoProcess.start, self.stack_dir, region, self.tls_files,
                                             self._moto_state_file(), fresh=self.fresh)
        self._watch = asyncio.get_running_loop().create_task(self._watch_moto())
        moto_host, moto_port = "127.0.0.1", self._moto.port
        cognito_endpoint = f"{'https' if self.tls else 'http'}://{moto_host}:{moto_port}"
        self.dynamodb = self._client("dynamodb", cognito_endpoint, region)
        self.cognito = self._client("cognito-idp", cognito_endpoint, region)
        made = await asyncio.to_thread(materialise, run, self.dynamodb, self.cognito)
        self.materialised = made
        self.timings["materialise"] = time.perf_counter() - started

        url_host = f"[{host}]" if ":" in host else host
        config = parse_stack_values(run.config)
        self.events_principal = local_backend_principal(run, "events")
        remote = remote_data_sources(run, manifest, config, f"http://{url_host}:{port}", self.events_principal, region)
        # The resolvers' data path: moto's handler over a private socket, not HTTP (direct_dynamodb)
        self.direct_dynamodb = DirectDynamoDB(self._moto.direct_socket)
        self.runtime = self.runtime_factory(manifest, env, self.direct_dynamodb, remote)
        api_inputs = api.inputs
        endpoint = GraphQLEndpoint(
            api_inputs["schema"],
            self.runtime,
            default_auth=api_inputs.get("authenticationType", "AMAZON_COGNITO_USER_POOLS"),
            introspection=api_inputs.get("introspectionConfig", "ENABLED") != "DISABLED",
            query_depth_limit=_int(api_inputs.get("queryDepthLimit") or 0),
            resolver_count_limit=_int(api_inputs.get("resolverCountLimit") or 0),
        )
        verifier = CognitoJwtVerifier(
            issuer=f"https://cognito-idp.{region}.amazonaws.com/{made.user_pool_id}",
            client_ids=[made.client_id],
            jwks_url=f"{cognito_endpoint}/{made.user_pool_id}/.well-known/jwks.json",
            # The stack's own key, read in-process: the same set the endpoint serves at jwks_url.
            jwks_loader=lambda _url: self.signing_key.jwks(),
        )
        self.cognito_verifier = verifier
        config = parse_stack_values(run.config)
        url_host = f"[{host}]" if ":" in host else host
        secure = "s" if self.tls else ""
        verifiers = [verifier]
        for provider in api_inputs.get("additionalAuthenticationProviders") or []:
            if provider.get("authenticationType") == "OPENID_CONNECT":
                verifiers.append(self._oidc(provider, env, f"http{secure}://{url_host}:{port}"))
        tokens = TokenVerifiers(verifiers)
        await asyncio.to_thread(tokens.load_keys)  # before serving: requests never wait on a key fetch
        if self.iam_verify is None:
            self.fanout_principal = local_backend_principal(run, "fanout")
            self.iam_verify = SigV4Verifier([self.fanout_principal, self.events_principal], region).verify
        self.appsync = LocalAppSync(
            endpoint, tokens.verify, keepalive_seconds=self.keepalive_seconds, max_connections=self.max_connections,
            iam_verify=self.iam_verify,
        )
        app = self.appsync.app()
        if self.oidc_issuer is not None:
            self.oidc_issuer.add_routes(app)
        if self.web_dist is not None:
            from chatstack.local.web import add_web_client

            add_web_client(app, self.web_dist, lambda: self.outputs)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        ssl_context = None
        if self.tls_files is not None:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.tls_files.certificate, self.tls_files.private_key)
        await web.SockSite(self._runner, sock, ssl_context=ssl_context).start()
        self.outputs = {
            "graphqlUrl": f"http{secure}://{url_host}:{port}/graphql",
            "realtimeUrl": f"ws{secure}://{url_host}:{port}/graphql/realtime",
            "apiId": run.outputs.get("apiId", api.id),
            "region": region,
            "userPoolId": made.user_pool_id,
            "userPoolClientId": made.client_id,
            "tableName": made.table_name,
            "cognitoEndpoint": cognito_endpoint,
            "fanOutMode": run.outputs.get("fanOutMode"),
            "attendeeAuth": run.outputs.get("attendeeAuth"),
            "selfSignUp": run.outputs.get("selfSignUp"),
            "dynamodbEndpoint": cognito_endpoint,
            "localAdmin": dict(self.local_admin),
        }
        if self.oidc_issuer is not None:
            self.outputs["oidcIssuer"] = self.oidc_issuer.issuer
            self.outputs.update({k: run.outputs[k] for k in OIDC_OUTPUT_KEYS if k in run.outputs})
            self.outputs.setdefault("oidcClientId", LOCAL_WEB_CLIENT_ID)
        if run.outputs.get("embedOrigins"):
            self.outputs["embedOrigins"] = list(run.outputs["embedOrigins"])
        if self.tls_files is not None:
            self.outputs["tlsCaFile"] = str(self.tls_files.ca_certificate.resolve())
        if self.web_dist is not None:
            self.outputs["webUrl"] = f"http{secure}://{url_host}:{port}/"
        missing = [k for k in OUTPUT_KEYS if k not in run.outputs]
        if missing:
            raise LocalStackError(f"the program no longer exports {missing}")
        # The table's stream: the batched fan-out and the archive both read it.
        stream_arn = self.dynamodb.describe_table(TableName=made.table_name)["Table"]["LatestStreamArn"]
        if config.fan_out_mode == "batched" and self.fanout_principal is not None:
            self.fanout = self._start_fanout(config.flush_interval_ms, cognito_endpoint, region, stream_arn)
        self.archiver = self._start_archive(cognito_endpoint, region, stream_arn)
        self.timings["ready"] = time.perf_counter() - started
        return self.outputs

    def _oidc(self, provider: dict[str, Any], env: dict[str, str], base_url: str) -> OidcJwtVerifier:
        """The event platform's issuer, served locally, and AppSync's OPENID_CONNECT check of its
        tokens: client id and TTLs from the registered API's provider, claim names from the
        resolvers' rendered ctx.env (what the program registered, not the config again).

        The verifier gets the discovery document and JWKS from the issuer in process (the same
        documents its routes serve): fetching them over HTTP from the endpoint's own event loop
        would block the loop that has to answer."""
        settings = provider.get("openidConnectConfig") or {}
        pattern = settings.get("clientId")
        claims = AttendeeClaims(client_id=literal_client_id(pattern) if pattern else None,
                                name_claim=env["OIDC_NAME_CLAIM"],
                                moderator_claim=env["OIDC_MODERATOR_CLAIM"],
                                moderator_value=env["OIDC_MODERATOR_VALUE"])
        issuer = LocalOidcIssuer(self.stack_dir, base_url, claims)
        issuer.write_settings()
        self.oidc_issuer = issuer
        documents = {issuer.issuer + "/.well-known/openid-configuration": issuer.discovery,
                     issuer.issuer + "/.well-known/jwks.json": issuer.jwks}

        def load(url: str) -> dict[str, Any]:
            if url not in documents:
                raise LocalStackError(f"the local OIDC issuer serves no {url}")
            return documents[url]()

        def seconds(milliseconds: Any) -> float | None:  # AppSync's TTLs are in milliseconds
            return float(milliseconds) / 1000 if milliseconds else None

        return OidcJwtVerifier(issuer=issuer.issuer, client_id=settings.get("clientId"),
                               auth_ttl_seconds=seconds(settings.get("authTtl")),
                               iat_ttl_seconds=seconds(settings.get("iatTtl")), loader=load)

    def _start_fanout(self, flush_interval_ms: int, moto_endpoint: str, region: str,
                      stream_arn: str) -> LocalStreamConsumer:
        """Batched rooms: the Lambda's consumer, against moto's stream, publishing over SigV4."""
        from botocore.credentials import Credentials

        principal = self.fanout_principal
        publisher = AppSyncPublisher(
            self.outputs["graphqlUrl"], region,
            credentials=Credentials(principal.access_key_id, principal.secret_access_key),
            ssl_context=ssl.create_default_context(cafile=self.tls_files.ca_certificate) if self.tls_files else None,
        )
        consumer = LocalStreamConsumer(self._streams_client(), stream_arn, publisher.publish, flush_interval_ms)
        consumer.start()
        return consumer

    def _streams_client(self) -> DirectDynamoDB:
        """The stream consumers read moto's stream over the private socket too (no botocore
        parsing of every record on the endpoint's interpreter)."""
        if self.direct_streams is None:
            self.direct_streams = DirectDynamoDB(self._moto.direct_socket, "dynamodbstreams")
        return self.direct_streams

    async def _watch_moto(self, interval: float = 0.5) -> None:
        """Without its database the stack answers nothing right: when moto's process ends on its
        own, say so (with its last log line) and let `serve` stop."""
        moto = self._moto
        while moto is not None and moto.process.poll() is None:
            await asyncio.sleep(interval)
        if moto is None or self._moto is not moto:  # stopped by us
            return
        line = moto.last_log_line()
        self.failure = (f"the stack's database (moto, pid {moto.process.pid}) exited with code "
                        f"{moto.process.returncode}" + (f": {line}" if line else "") + f" (log: {moto.log_path}); "
                        "nothing can be served without it, so chatstack local stops (start it again: "
                        "the kept state is loaded)")
        self.failed.set()

    def _start_archive(self, moto_endpoint: str, region: str, stream_arn: str) -> LocalArchiver:
        """Every chat event from the stream to .chatstack/<stack>/archive/ (chatstack report reads it)."""
        archiver = LocalArchiver(self._streams_client(), stream_arn, self.stack_dir / ARCHIVE_DIR, self.stack)
        archiver.start()
        return archiver

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self.fanout is not None:
            await asyncio.to_thread(self.fanout.stop)
            self.fanout = None
        if self.archiver is not None:
            await asyncio.to_thread(self.archiver.stop)
            self.archiver = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for client in (self.direct_dynamodb, self.direct_streams):
            if client is not None:
                client.close()
        self.direct_dynamodb = self.direct_streams = None
        if self._moto is not None:
            await asyncio.to_thread(self._moto.stop)
            self._moto = None


def local_backend_principal(run: ProgramRun, role: str) -> IamPrincipal:
    """An IAM identity a local backend caller signs with (role "fanout": the fan-out consumer;
    "events": the moderation pipelines' HTTP data source): fresh secret per start."""
    return IamPrincipal(
        access_key_id=f"AKIALOCAL{role.upper()}",
        secret_access_key=secrets.token_hex(20),
        account_id=MOCK_ACCOUNT,
        user_arn=f"arn:aws:iam::{MOCK_ACCOUNT}:role/{run.project}-{run.stack}-{role}",
    )


def chatstack_command(root: Path) -> str:
    """`chatstack` as it can be typed where the user is: `.venv/bin/chatstack` in the project,
    elsewhere its absolute path and `-C <project>` (a printed hint runs as printed)."""
    program = root / ".venv" / "bin" / "chatstack"
    if program.exists() and Path.cwd().resolve() == root.resolve():
        return ".venv/bin/chatstack"
    executable = program if program.exists() else Path(sys.executable).with_name("chatstack")
    return f"{shlex.quote(str(executable))} -C {shlex.quote(str(root))}"


def example_sign_up(outputs_path: Path) -> str:
    """A one-line shell command that creates, confirms and signs in user alice in local Cognito."""
    return f".venv/bin/python -m chatstack.local.session {outputs_path} alice"


def serve(
    stack: str, root: Path, host: str = "127.0.0.1", port: int = 0, outputs_path: str | None = None,
    config_overrides: dict[str, str] | None = None, state_dir: str | None = None, fresh: bool = False,
    max_connections: int = 1000, tls: bool = False, web_client: bool = True,
) -> int:
    """Run until SIGINT/SIGTERM. Returns the process exit code. moto's state is kept in
    `state_dir` (default .chatstack/<stack>/state); `fresh` starts from an empty one."""
    path = Path(outputs_path) if outputs_path else Project(root).state_dir / stack / "outputs.json"
    data_dir = Path(state_dir) if state_dir else Project(root).state_dir / stack / "state"
    from chatstack.local.web import WebBuild, WebBuildError

    # Built once the stack is up (a bad config fails first), before it says it is ready.
    build = WebBuild(Project(root).web_dir) if web_client else None
    web_dist = build.dist if build else None
    try:
        sock = bind(host, port)
    except LocalStackError as error:
        print(f"chatstack local: {error}", file=sys.stderr)
        return 1

    async def main() -> int:
        local = LocalStack(stack, host=host, port=port, root=root, config_overrides=dict(config_overrides or {}),
                           data_dir=data_dir, fresh=fresh, max_connections=max_connections, tls=tls,
                           web_dist=web_dist)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            outputs = await local.start(sock)
            if build is not None:
                try:
                    await asyncio.to_thread(build.ensure_built,
                                            lambda line: print(f"chatstack local: {line}", flush=True))
                except WebBuildError as error:
                    print(f"chatstack local: {error} (or serve without it: --no-web)", file=sys.stderr)
                    return 1
            # Everything loaded so far (Pulumi, botocore's models, the schema: ~220,000 objects)
            # lives as long as the process: frozen out of the collector, and young collections
            # made rarer, a full collection no longer stops every request for ~0.4 s.
            gc.freeze()
            gc.set_threshold(20_000, 50, 1_000)
            # Threads doing long work (a large document, resolver calls) hand the interpreter
            # back to the event loop within 1 ms instead of 5 ms.
            sys.setswitchinterval(0.001)
            keys = [k for k in (*OUTPUT_KEYS, *OIDC_OUTPUT_KEYS, *LOCAL_OUTPUT_KEYS, "webUrl") if k in outputs]
            write_outputs(path, {k: outputs[k] for k in keys})  # mode 0600: it holds localAdmin
            print(f"chatstack local: stack {stack!r} ready in {local.timings['ready']:.1f}s", flush=True)
            for key in keys:
                shown = outputs[key]
                if key == "localAdmin":
                    shown = f"{shown['accessKeyId']} (its secret is in the outputs file)"
                print(f"  {key:<17} {shown}")
            print(f"  outputs written to {path}")
            print(f"  state kept in {data_dir} (saved within 1 s of a change; --fresh starts empty)")
            for line in local.materialised.followed:
                print(f"  kept state: {line}")
            print(f"  moto log         {local.moto_log}")
            if web_client:
                print(f"  chat in a browser: {outputs['webUrl']}?room=lobby")
            print(f"  create a user: {example_sign_up(path)}")
            if tls:
                print(f"  Node clients: NODE_EXTRA_CA_CERTS={outputs['tlsCaFile']}")
            if "oidcIssuer" in outputs:
                print(f"  attendees join in the browser ({outputs.get('webUrl', '')}?room=lobby, 'Join chat'), or "
                      f"by token: {chatstack_command(root)} attendee-token --stack {stack} --sub attendee-1 --name Ann")
            print("  (Ctrl-C to stop)", flush=True)
            stopped, failed = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(local.failed.wait())
            await asyncio.wait((stopped, failed), return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            failed.cancel()
            if local.failure is not None:
                print(f"chatstack local: {local.failure}", file=sys.stderr, flush=True)
                return 1
            print("chatstack local: shutting down", flush=True)
            return 0
        finally:
            await local.stop()

    try:
        return asyncio.run(main())
    except LocalStackError as error:
        print(f"chatstack local: {error}", file=sys.stderr)
        return 1
