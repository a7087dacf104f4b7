"""`chatstack local`: one event stack served offline, built from the Pulumi program itself.

Nothing here defines the stack a second time: `evaluate_program(stack)` runs `__main__.py`
under mocks, and the resources it registers are served by the parts of
chatstack.local.parts, in order: the program and its resolvers checked against the
manifest; moto in a process of its own (DynamoDB, Streams, Cognito, the kept state); the
table, pool, client and groups made there; in `oidc` stacks the event platform's issuer;
the resolver runtime (its DynamoDB calls over a private socket, chatstack.local.direct_dynamodb);
the web client; the GraphQL and real-time endpoint; in batched stacks the stream consumer
publishing batches; and the archive. `LocalStack` is that list and what the parts share;
`serve` is the command around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import logging
import os
import shlex
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatstack.local.direct_dynamodb import DirectDynamoDB
from chatstack.local.errors import LocalStackError, PortInUseError
from chatstack.local.parts import Part, default_parts
from chatstack.local.program import RuntimeFactory, default_runtime_factory
from chatstack.local.stack_secrets import local_admin, signing_key, tls_files
from chatstack.local.state_file import private_dir
from chatstack.offline.evaluation import ProgramRun
from chatstack.project import Project, find_project
from chatstack.stack_outputs import LOCAL_OUTPUT_KEYS, OIDC_OUTPUT_KEYS, OUTPUT_KEYS, WEB_OUTPUT_KEYS

__all__ = ["LOCAL_OUTPUT_KEYS", "OIDC_OUTPUT_KEYS", "OUTPUT_KEYS", "WEB_OUTPUT_KEYS", "LocalStack", "LocalStackError",
           "PortInUseError", "bind", "serve", "write_outputs"]



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
    """The stack's resources in moto plus the local AppSync endpoint, on loopback: the parts of
    chatstack.local.parts, started in order and stopped in reverse. The stack object is what
    they share: each part reads what earlier parts put on it and adds what it made."""

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
    parts: list[Part] = field(default_factory=default_parts)

    def __post_init__(self) -> None:
        self.project = Project(self.root)
        self.stack_dir = private_dir(self.state_dir or self.project.state_dir / self.stack)
        self.tls_files = tls_files(self.project.state_dir / "tls") if self.tls else None
        self.local_admin = local_admin(self.stack_dir)
        self.signing_key = signing_key(self.stack_dir)
        self.moto_log = self.stack_dir / "moto.log"  # moto's own output (MotoProcess.start)
        # Set when the stack can no longer serve (its database process died): why, for the operator.
        self.failed = asyncio.Event()
        self.failure: str | None = None
        # What the parts make (chatstack.local.parts); None until the part that makes it started.
        self.manifest: Any = None
        self.env: dict[str, str] = {}
        self.api: Any = None
        self.config: Any = None
        self.region = "us-east-1"
        self.socket: socket.socket | None = None
        self.url_host = ""  # host:port as URLs name it
        self.http_origin = ""  # http(s)://host:port
        self.moto_endpoint = ""
        self.dynamodb: Any = None
        self.cognito: Any = None
        self.direct_dynamodb: DirectDynamoDB | None = None
        self.direct_streams: DirectDynamoDB | None = None
        self.materialised: Any = None
        self.stream_arn: str | None = None
        self.oidc_issuer: Any = None
        self.token_verifiers: list[Any] = []  # beyond Cognito's: the OIDC issuer's
        self.cognito_verifier: Any = None
        self.events_principal: Any = None
        self.fanout_principal: Any = None
        self.event_api: Any = None  # events stacks (EventsPart)
        self.token_verify: Callable[[str], Any] | None = None  # the endpoint's JWT check (EndpointPart)
        self.runtime: Any = None
        self.appsync: Any = None
        self.fanout: Any = None
        self.archiver: Any = None
        self._started: list[Part] = []

    def aws_client(self, service: str, endpoint: str) -> Any:
        """A boto3 client of the stack's moto, signed with localAdmin."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service, endpoint_url=endpoint, region_name=self.region,
            aws_access_key_id=self.local_admin["accessKeyId"],
            aws_secret_access_key=self.local_admin["secretAccessKey"],
            verify=str(self.tls_files.ca_certificate) if self.tls_files else None,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )

    async def start(self, sock: socket.socket | None = None) -> dict[str, Any]:
        started = time.perf_counter()
        self.socket = sock or bind(self.host, self.port)
        host, port = self.socket.getsockname()[:2]
        self.url_host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.http_origin = f"http{'s' if self.tls else ''}://{self.url_host}"
        for part in self.parts:
            await part.start(self)
            self._started.append(part)
            self.timings[type(part).__name__] = time.perf_counter() - started
        outputs: dict[str, Any] = {}
        for part in self.parts:
            outputs.update(part.outputs(self))
        self.outputs = outputs
        self.timings["ready"] = time.perf_counter() - started
        return self.outputs

    async def stop(self) -> None:
        """Every started part stopped, the last started first (after a failed start, those that
        started)."""
        while self._started:
            part = self._started.pop()
            try:
                await part.stop(self)
            except Exception:  # the others still stop
                logging.getLogger("chatstack.local").exception("stopping %s failed", type(part).__name__)


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
            keys = [k for k in (*OUTPUT_KEYS, *OIDC_OUTPUT_KEYS, *WEB_OUTPUT_KEYS, *LOCAL_OUTPUT_KEYS) if k in outputs]
            write_outputs(path, {k: outputs[k] for k in keys})  # mode 0600: it holds localAdmin
            print(f"chatstack local: stack {stack!r} ready in {local.timings['ready']:.1f}s", flush=True)
            for key in keys:
                shown = outputs[key]
                if key == "localAdmin":
                    shown = f"{shown['accessKeyId']} (its secret is in the outputs file)"
                print(f"  {key:<17} {shown}")
            print(f"  outputs written to {path}")
            print(f"  state kept in {data_dir} (saved in the background within seconds of a change, and "
                  "on exit; --fresh starts empty)")
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
