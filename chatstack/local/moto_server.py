"""moto's server as the local stack runs it: `python -m chatstack.local.moto_server`.

Three things moto's own `moto.server` does not do:

- **Dies with its parent.** The parent passes the read end of a pipe (`--parent-fd`); the
  parent holds the only write end, so when the parent exits for any reason (kill -9
  included) the read returns EOF and this process saves its state and exits. Ctrl-C in a
  terminal reaches the whole process group: SIGINT is ignored here, the parent decides.
- **Keeps its state** (`--state FILE`): the DynamoDB, DynamoDB Streams and Cognito backends
  are pickled to FILE (sealed, written to a temporary file, fsynced, renamed: see
  chatstack.local.state_file) by a forked child, so requests wait only for the fork, every
  `--snapshot-seconds` (or 8x the last save's duration, if longer) while requests change
  them, and once more on SIGTERM or when the parent goes away. At start, FILE is loaded if
  it exists and its seal verifies. So a kill -9 of the parent loses nothing acknowledged;
  only a kill -9 of this process (or of the machine) loses the writes of the last snapshot
  interval. When a snapshot cannot be written (a full disk), requests that would change
  state are refused until one can: nothing more is acknowledged that a restart would lose.
- **Keeps connections alive** (HTTP/1.1 via waitress): werkzeug's server, which moto uses,
  answers every request with `Connection: close`, so each boto3 call paid a TCP connect.
  With TLS (`--tls-certificate`, `chatstack local --tls`) werkzeug serves, as waitress
  speaks no TLS.
- **Serves the resolvers without HTTP** (`--direct-socket`): DynamoDB and Streams requests
  as frames on a private Unix socket (chatstack.local.direct_dynamodb), with moto's costs
  that grow with the table cut (chatstack.local.moto_speedups).
- **Is the stack's own Cognito** (`--stack-dir`, `--region`): requests go through
  `chatstack.local.cognito.LocalCognitoFront` (its signing key, its admin credential, SRP,
  refresh, flow rules) before moto sees them.
"""

from __future__ import annotations

import argparse
import contextlib
import copyreg
import io
import json
import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatstack.local.state_file import StateFileError, seal, state_key, unseal, write_atomically

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
    """Only ever called with a blob whose seal verified (state_file.unseal): our own snapshot."""
    from moto.backends import get_backend

    state = pickle.loads(blob)  # noqa: S301 - unsealed above: written by dump_state in this directory
    for service, accounts in state.items():
        backends = get_backend(service)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backends[account][region] = backend


class StatefulApp:
    """The WSGI app, counting requests that may change state; one lock orders requests and
    snapshots, so a snapshot never sees half a request (moto's backends are not thread safe)."""

    def __init__(self, app: Callable, state_file: Path | None, snapshot_seconds: float,
                 seal_key: bytes = b""):
        self.app = app
        self.state_file = state_file
        self.snapshot_seconds = snapshot_seconds
        self.seal_key = seal_key
        self.lock = threading.Lock()
        self.changes = 0
        self.saved_changes = 0
        self.stopping = threading.Event()
        self.last_save_seconds = 0.0
        # Why the last snapshot failed (None: it did not): while set, changes are refused.
        self.save_error: str | None = None
        self.at_exit: list[Callable[[], None]] = []  # run after the final save (os._exit skips atexit)

    def _admit(self, target: str) -> bytes | None:
        """Under the lock, for a request that may change state: count it, or (while the state
        cannot be saved) the service's refusal to answer instead."""
        if target.rpartition(".")[2] in READ_ONLY_ACTIONS:
            return None
        if self.save_error is not None:
            return refusal_body(target, self.save_error)
        self.changes += 1
        return None

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        with self.lock:
            target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
            refused = self._admit(target) if environ.get("REQUEST_METHOD") == "POST" else None
            if refused is not None:
                start_response("500 Internal Server Error", [("Content-Type", "application/x-amz-json-1.0"),
                                                             ("Content-Length", str(len(refused)))])
                return [refused]
            # moto answers with bytes lists: produce the whole body under the lock
            return list(self.app(environ, start_response))

    def direct(self, target: str, body: bytes, handler: Callable[[str, bytes], tuple[int, bytes]]
               ) -> tuple[int, bytes]:
        """A DynamoDB request from the resolvers' socket (chatstack.local.direct_dynamodb), under
        the same lock, change count and refusal as an HTTP request."""
        with self.lock:
            refused = self._admit(target)
            return (500, refused) if refused is not None else handler(target, body)

    def snapshot(self, in_child: bool = True) -> None:
        """Save the state if it changed. `in_child`: the pickling and writing happen in a forked
        child, so requests wait only for the fork, not for the save (0.57 s at 20k items when
        it ran under the lock, issue 31); the child sees the state as it was at the fork."""
        if self.state_file is None:
            return
        started = time.monotonic()
        with self.lock:
            if self.changes == self.saved_changes:
                return
            changes = self.changes
            if in_child:
                child = _save_in_child(self.state_file, self.seal_key)
            else:
                blob = dump_state()
        try:
            if in_child:
                _wait_for_child(*child)
            else:
                write_atomically(self.state_file, seal(blob, self.seal_key))
        except OSError as error:
            self.save_error = f"{error.strerror or error} ({self.state_file})"
            raise
        self.saved_changes = changes
        self.last_save_seconds = time.monotonic() - started
        if self.save_error is not None:
            log.warning("saved %s again: changes are accepted again", self.state_file)
        self.save_error = None

    def snapshot_loop(self) -> None:
        # A save costs CPU in proportion to the state: at most a ninth of a core goes to it.
        while not self.stopping.wait(max(self.snapshot_seconds, 8 * self.last_save_seconds)):
            try:
                self.snapshot()
            except Exception:  # retried next interval; reads go on, changes wait (see __call__)
                log.exception("saving %s failed; changes are refused until it can be saved", self.state_file)


def _save_in_child(state_file: Path, seal_key: bytes) -> tuple[int, int]:
    """Fork; the child pickles the state (as it is at the fork: the caller holds the lock),
    writes it, and reports a failure on a pipe. Returns (pid, the pipe's read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only this thread exists here; it never returns
        code = 0
        try:
            os.close(read_end)
            write_atomically(state_file, seal(dump_state(), seal_key))
        except BaseException as error:  # noqa: BLE001 - reported to the parent, whatever it is
            code = 1
            number = error.errno if isinstance(error, OSError) and error.errno else 0
            reason = (error.strerror if isinstance(error, OSError) and error.strerror
                      else f"{type(error).__name__}: {error}")
            with contextlib.suppress(OSError):
                os.write(write_end, json.dumps([number, reason]).encode())
        os._exit(code)
    os.close(write_end)
    return pid, read_end


def _wait_for_child(pid: int, read_end: int) -> None:
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status == 0:
        return
    number, reason = json.loads(report) if report else (0, f"the saving process ended with status {status}")
    raise OSError(number, reason)


def refusal_body(target: str, reason: str) -> bytes:
    """The service's own 500 error, so clients report (and botocore retries) it as AWS's."""
    error_type = ("com.amazonaws.dynamodb.v20120810#InternalServerError" if target.startswith("DynamoDB")
                  else "InternalErrorException")
    message = (f"the local stack cannot save its state: {reason}. Nothing was changed; "
               "free disk space and retry (chatstack local keeps serving reads meanwhile).")
    return json.dumps({"__type": error_type, "message": message}).encode()


def _exit_with_final_snapshot(app: StatefulApp) -> None:
    app.stopping.set()
    code = 0
    try:
        app.snapshot(in_child=False)  # this process ends next: no need to fork
    except Exception:
        log.exception("the final save of %s failed: changes since the last save are lost", app.state_file)
        code = 1
    finally:
        for action in app.at_exit:
            with contextlib.suppress(Exception):
                action()
        os._exit(code)


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
    parser.add_argument("--direct-socket", type=Path, default=None,
                        help="also serve DynamoDB to the resolvers on this Unix socket (direct_dynamodb)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("chatstack.local.cognito").setLevel(logging.INFO)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from moto.moto_server.werkzeug_app import create_backend_app

    from chatstack.local import moto_speedups
    from chatstack.local.cognito import LocalCognitoFront, admin_principal, use_signing_key
    from chatstack.local.stack_secrets import local_admin, signing_key

    skip_moto_per_request_scans()
    moto_speedups.apply()
    import joserfc.jwk  # noqa: F401 - imported before any save forks (a child must not import)
    import moto.backends  # noqa: F401
    seal_key = state_key(args.state.parent) if args.state is not None else b""
    if args.state is not None and args.state.exists():
        try:
            restore_state(unseal(args.state.read_bytes(), seal_key, args.state))
        except StateFileError as error:
            print(f"refused: {error}", file=sys.stderr, flush=True)
            sys.exit(2)
        except Exception as error:  # sealed by us, yet unreadable: written by another moto version
            print(f"refused: {args.state} cannot be loaded ({type(error).__name__}: {error}): move it away, "
                  "or start with --fresh to discard the kept state (chatstack local --fresh)",
                  file=sys.stderr, flush=True)
            sys.exit(2)
    key = signing_key(args.stack_dir)
    use_signing_key(key)
    front = LocalCognitoFront(create_backend_app, key,
                              admin_principal(local_admin(args.stack_dir)), args.region)
    app = StatefulApp(front, args.state, args.snapshot_seconds, seal_key)
    signal.signal(signal.SIGTERM, lambda *_: _exit_with_final_snapshot(app))
    if args.parent_fd is not None:
        threading.Thread(target=_watch_parent, args=(args.parent_fd, app), daemon=True).start()
    if args.direct_socket is not None:
        from chatstack.local.direct_dynamodb import DirectServer, moto_dynamodb_handler

        dynamodb = moto_dynamodb_handler(args.region, local_admin(args.stack_dir)["accessKeyId"])
        direct = DirectServer(args.direct_socket, lambda target, body: app.direct(target, body, dynamodb)).start()
        app.at_exit.append(direct.stop)  # the socket file goes with the server
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
