"""moto's server as the local stack runs it: `python -m chatstack.local.moto_server`.

Three things moto's own `moto.server` does not do:

- **Dies with its parent.** The parent passes the read end of a pipe (`--parent-fd`); the
  parent holds the only write end, so when the parent exits for any reason (kill -9
  included) the read returns EOF and this process saves its state and exits. Ctrl-C in a
  terminal reaches the whole process group: SIGINT is ignored here, the parent decides.
- **Keeps its state** (`--state FILE`): the DynamoDB, DynamoDB Streams and Cognito backends
  are pickled to FILE (written to a temporary file, fsynced, renamed) at most every
  `--snapshot-seconds` while requests change them, and once more on SIGTERM or when the
  parent goes away. At start, FILE is loaded if it exists. So a kill -9 of the parent loses
  nothing acknowledged; only a kill -9 of this process (or of the machine) loses the
  writes of the last snapshot interval.
- **Keeps connections alive** (HTTP/1.1 via waitress): werkzeug's server, which moto uses,
  answers every request with `Connection: close`, so each boto3 call paid a TCP connect.
  With TLS (`--tls-certificate`, `chatstack local --tls`) werkzeug serves, as waitress
  speaks no TLS.
- **Is the stack's own Cognito** (`--stack-dir`, `--region`): requests go through
  `chatstack.local.cognito.LocalCognitoFront` (its signing key, its admin credential, SRP,
  refresh, flow rules) before moto sees them.
"""

from __future__ import annotations

import argparse
import contextlib
import copyreg
import io
import logging
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SERVICES = ("dynamodb", "dynamodbstreams", "cognito-idp")
SNAPSHOT_SECONDS = 1.0
# Calls that change nothing worth keeping: they do not make a snapshot due (reads would
# otherwise re-save an unchanged table every second under a read-heavy load).
READ_ONLY_ACTIONS = frozenset({
    "GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "DescribeTable", "ListTables",
    "DescribeTimeToLive", "DescribeStream", "ListStreams", "GetShardIterator", "GetRecords",
    "ListUserPools", "ListUserPoolClients", "ListGroups", "ListUsers", "AdminGetUser", "GetUser",
    "DescribeUserPool", "DescribeUserPoolClient",
})

log = logging.getLogger("chatstack.moto_server")


# ---- state -------------------------------------------------------------------------------

def _import_jwk(as_dict: dict[str, Any]) -> Any:
    from joserfc.jwk import RSAKey

    return RSAKey.import_key(as_dict)


def _reduce_jwk(key: Any) -> tuple[Callable[[dict[str, Any]], Any], tuple[dict[str, Any]]]:
    return _import_jwk, (key.as_dict(private=True),)


def dump_state(services: tuple[str, ...] = SERVICES) -> bytes:
    """moto's backends for `services`, pickled ({service: {account: {region: backend}}}).
    Each Cognito pool holds its signing key as a joserfc RSAKey, which pickle cannot take
    as it is: it travels as its JWK."""
    from joserfc.jwk import RSAKey
    from moto.backends import get_backend

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, RSAKey: _reduce_jwk}
    state = {service: {account: dict(regions) for account, regions in get_backend(service).items()}
             for service in services}
    pickler.dump(state)
    return buffer.getvalue()


def restore_state(blob: bytes) -> None:
    from moto.backends import get_backend

    state = pickle.loads(blob)  # noqa: S301 - our own file, written by dump_state
    for service, accounts in state.items():
        backends = get_backend(service)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backends[account][region] = backend


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class StatefulApp:
    """The WSGI app, counting requests that may change state; one lock orders requests and
    snapshots, so a snapshot never sees half a request (moto's backends are not thread safe)."""

    def __init__(self, app: Callable, state_file: Path | None, snapshot_seconds: float):
        self.app = app
        self.state_file = state_file
        self.snapshot_seconds = snapshot_seconds
        self.lock = threading.Lock()
        self.changes = 0
        self.saved_changes = 0
        self.stopping = threading.Event()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        with self.lock:
            action = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
            if environ.get("REQUEST_METHOD") == "POST" and action not in READ_ONLY_ACTIONS:
                self.changes += 1
            # moto answers with bytes lists: produce the whole body under the lock
            return list(self.app(environ, start_response))

    def snapshot(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            if self.changes == self.saved_changes:
                return
            blob, changes = dump_state(), self.changes
        write_atomically(self.state_file, blob)
        self.saved_changes = changes

    def snapshot_loop(self) -> None:
        while not self.stopping.wait(self.snapshot_seconds):
            try:
                self.snapshot()
            except Exception:  # a failed snapshot is retried next interval; serving goes on
                log.exception("saving %s failed", self.state_file)


def _exit_with_final_snapshot(app: StatefulApp) -> None:
    app.stopping.set()
    try:
        app.snapshot()
    finally:
        os._exit(0)


def _watch_parent(fd: int, app: StatefulApp) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 1):
            pass
    _exit_with_final_snapshot(app)  # EOF: the parent is gone, however it went


def skip_moto_per_request_scans() -> None:
    """moto re-reads its package directory (listdir + stat of ~200 entries) and re-inspects
    the response class's methods on every request: ~1 ms of each ~4.5 ms DynamoDB call here.
    Both answers are fixed for the life of the process, so they are computed once."""
    import functools

    from moto import backends
    from moto.core import responses

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent-fd", type=int, default=None)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--snapshot-seconds", type=float, default=SNAPSHOT_SECONDS)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--region", required=True, help="the stack's region (SigV4 scope of localAdmin)")
    parser.add_argument("--stack-dir", type=Path, required=True, help="holds the signing key and localAdmin")
    parser.add_argument("--tls-certificate", type=Path, default=None, help="server certificate chain (PEM)")
    parser.add_argument("--tls-key", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("chatstack.local.cognito").setLevel(logging.INFO)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from moto.moto_server.werkzeug_app import create_backend_app

    from chatstack.local.cognito import LocalCognitoFront, admin_principal, use_signing_key
    from chatstack.local.stack_secrets import local_admin, signing_key

    skip_moto_per_request_scans()
    if args.state is not None and args.state.exists():
        restore_state(args.state.read_bytes())
    key = signing_key(args.stack_dir)
    use_signing_key(key)
    front = LocalCognitoFront(create_backend_app, key,
                              admin_principal(local_admin(args.stack_dir)), args.region)
    app = StatefulApp(front, args.state, args.snapshot_seconds)
    signal.signal(signal.SIGTERM, lambda *_: _exit_with_final_snapshot(app))
    if args.parent_fd is not None:
        threading.Thread(target=_watch_parent, args=(args.parent_fd, app), daemon=True).start()
    if args.state is not None:
        threading.Thread(target=app.snapshot_loop, name="snapshot", daemon=True).start()
    log.info("local Cognito and DynamoDB (region %s) on %s:%d", args.region, args.host, args.port)
    if args.tls_certificate is not None:
        serve_tls(app, args.host, args.port, args.tls_certificate, args.tls_key)
        return
    from waitress.server import create_server

    server = create_server(app, host=args.host, port=args.port, threads=args.threads,
                           channel_timeout=300, connection_limit=1000, ident="moto")
    server.run()


def serve_tls(app: Callable, host: str, port: int, certificate: Path, key: Path) -> None:
    import ssl

    from werkzeug.serving import make_server

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    make_server(host, port, app, threaded=True, ssl_context=context).serve_forever()


if __name__ == "__main__":
    main()
