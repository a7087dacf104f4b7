"""Evaluate the Pulumi program offline: `__main__.py` under `pulumi.runtime` mocks.

This is how preview, the policy runner, the local stack and the tests see what a stack
would create without the Pulumi CLI or AWS. The mocks compute what AWS would (ARNs,
ids, URLs), deterministically from the stack and resource names.
"""

from __future__ import annotations

import asyncio
import hashlib
import runpy
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatstack.project import project_name, project_root, read_stack_config

MOCK_ACCOUNT = "123456789012"


@dataclass
class RegisteredResource:
    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    id: str
    custom: bool
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    # What the (mock) provider computed on creation beyond the inputs: arn, url, streamArn...
    computed: dict[str, Any] = field(default_factory=dict)
    # Earlier names (or URNs) this resource answers to (ResourceOptions.aliases): a renamed
    # resource is then updated in place, not replaced.
    aliases: list[str] = field(default_factory=list)


@dataclass
class ProgramRun:
    project: str
    stack: str
    config: dict[str, str]
    resources: list[RegisteredResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> RegisteredResource:
        found = self.of_type(type_token)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_token}, found {len(found)}")
        return found[0]


class _CloudMocks:
    """Fills in what AWS computes, so outputs and cross-references look real."""

    def __init__(self, stack: str, region: str):
        self.stack = stack
        self.region = region

    def _token(self, name: str, length: int = 26) -> str:
        return hashlib.sha256(f"{self.stack}/{name}".encode()).hexdigest()[:length]

    def new_resource(self, args):
        inputs = dict(args.inputs)
        state = dict(inputs)
        name = inputs.get("name") or args.name
        region, account = self.region, MOCK_ACCOUNT
        rid = f"{args.name}-id"
        kind = args.typ
        if kind == "aws:dynamodb/table:Table":
            rid = name
            state["arn"] = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            state["streamArn"] = f"{state['arn']}/stream/2026-01-01T00:00:00.000"
        elif kind == "aws:cognito/userPool:UserPool":
            rid = f"{region}_{self._token(args.name, 9)}"
            state["arn"] = f"arn:aws:cognito-idp:{region}:{account}:userpool/{rid}"
            state["endpoint"] = f"cognito-idp.{region}.amazonaws.com/{rid}"
        elif kind == "aws:cognito/userPoolClient:UserPoolClient":
            rid = self._token(args.name)
        elif kind == "aws:appsync/graphQLApi:GraphQLApi":
            rid = self._token(args.name)
            state["arn"] = f"arn:aws:appsync:{region}:{account}:apis/{rid}"
            state["uris"] = {
                "GRAPHQL": f"https://{rid}.appsync-api.{region}.amazonaws.com/graphql",
                "REALTIME": f"wss://{rid}.appsync-realtime-api.{region}.amazonaws.com/graphql",
            }
        elif kind == "aws:appsync/api:Api":  # an Event API (fanOutMode events)
            rid = state["apiId"] = self._token(args.name)
            state["apiArn"] = f"arn:aws:appsync:{region}:{account}:apis/{rid}"
            state["dns"] = {"HTTP": f"{rid}.appsync-api.{region}.amazonaws.com",
                            "REALTIME": f"{rid}.appsync-realtime-api.{region}.amazonaws.com"}
        elif kind == "aws:iam/role:Role":
            role_name = inputs.get("name") or f"{inputs.get('namePrefix', args.name)}{self._token(args.name, 8)}"
            rid = state["name"] = role_name
            state["arn"] = f"arn:aws:iam::{account}:role/{role_name}"
        elif kind == "aws:appsync/function:Function":
            state["functionId"] = self._token(args.name)
            rid = f"{inputs.get('apiId')}-{state['functionId']}"
        elif kind == "aws:lambda/function:Function":
            rid = name
            state["arn"] = f"arn:aws:lambda:{region}:{account}:function:{name}"
        elif kind == "aws:sqs/queue:Queue":
            rid = state["url"] = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
            state["arn"] = f"arn:aws:sqs:{region}:{account}:{name}"
        elif kind == "aws:s3/bucket:Bucket":
            rid = state["bucket"] = inputs.get("bucket") or f"{inputs.get('bucketPrefix', '')}{self._token(args.name)}"
            state["arn"] = f"arn:aws:s3:::{rid}"
            state["bucketRegionalDomainName"] = f"{rid}.s3.{region}.amazonaws.com"
        elif kind == "aws:cloudfront/distribution:Distribution":
            rid = "E" + self._token(args.name, 13).upper()
            state["arn"] = f"arn:aws:cloudfront::{account}:distribution/{rid}"
            state["domainName"] = f"d{self._token(args.name, 13)}.cloudfront.net"
        elif kind in ("aws:cloudfront/originAccessControl:OriginAccessControl",
                      "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"):
            rid = self._token(args.name, 14).upper()
        elif kind == "aws:cloudwatch/logGroup:LogGroup":
            rid = name
            state["arn"] = f"arn:aws:logs:{region}:{account}:log-group:{name}"
        else:
            state.setdefault("arn", f"arn:aws:mock:{region}:{account}:{args.typ}/{args.name}")
        return rid, state

    def call(self, args):
        raise NotImplementedError(f"offline evaluation has no mock for invoke {args.token}")


def _recording_monitor(mocks: _CloudMocks):
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        def __init__(self):
            super().__init__(mocks)
            self.registered: list[RegisteredResource] = []
            self._lock = threading.Lock()

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                inputs = rpc.deserialize_properties(request.object)
                state = rpc.deserialize_properties(response.object) if response.object else {}
                with self._lock:
                    self.registered.append(
                        RegisteredResource(
                            type=request.type,
                            name=request.name,
                            urn=response.urn,
                            parent=request.parent,
                            inputs=inputs,
                            id=response.id,
                            custom=request.custom,
                            protect=bool(request.protect),
                            retain_on_delete=bool(request.retainOnDelete),
                            dependencies=list(request.dependencies),
                            ignore_changes=list(request.ignoreChanges),
                            computed={k: v for k, v in state.items() if k not in inputs},
                            aliases=[a.urn or a.spec.name for a in request.aliases] + list(request.aliasURNs),
                        )
                    )
            return response

    return RecordingMonitor()


_RUN_LOCK = threading.Lock()


def evaluate_program(
    stack: str,
    root: Path | None = None,
    config: dict[str, str] | None = None,
) -> ProgramRun:
    """Run `root/__main__.py` as stack `stack` under mocks and return what it registered.

    `config` defaults to Pulumi.<stack>.yaml. Raises whatever the program raises (e.g. a
    StackConfigError before any resource is registered).
    """
    root = project_root(root)
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    if config is None:
        config = read_stack_config(stack, root)
    project = project_name(root)
    mocks = _CloudMocks(stack, config.get("aws:region", "us-east-1"))
    monitor = _recording_monitor(mocks)
    outputs: dict[str, Any] = {}

    with _RUN_LOCK:  # the Pulumi runtime's settings are process-global
        # Pulumi's sync helpers use the thread's current loop; asyncio.run() elsewhere in
        # the process (servers, clients) leaves none behind, so bring our own.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        settings.ROOT.set(None)
        set_all_config(dict(config))
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))

        def program():
            runpy.run_path(str(root / "__main__.py"), run_name="__main__")
            exported = settings.get_root_resource().outputs

            async def resolve():
                outputs.update(await pulumi.Output.all(**exported).future() if exported else {})

            return resolve()

        try:
            _sync_await(run_pulumi_func(program))
        finally:
            settings.ROOT.set(None)
            set_all_config({})
            asyncio.set_event_loop(None)
            loop.close()

    resources = sorted(monitor.registered, key=lambda r: r.urn)
    return ProgramRun(project=project, stack=stack, config=config, resources=resources, outputs=outputs)
