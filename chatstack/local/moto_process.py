"""moto's server in a process of its own (chatstack.local.moto_server), as the local stack
starts, watches and stops it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from chatstack.local.direct_dynamodb import remove_stale_sockets
from chatstack.local.errors import LocalStackError
from chatstack.local.stack_secrets import TlsFiles
from chatstack.local.state_file import StateDirLock, StateFileError, open_private, private_dir

MOTO_STATE_FILE = "moto.pickle"


class MotoProcess:
    """moto's server in a process of its own (chatstack.local.moto_server), behind the local
    Cognito front (chatstack.local.cognito): DynamoDB and Cognito work then runs on another
    core than the endpoint and the resolver runtime, each local stack has its own state, kept
    in `state_file` when one is given, and the process ends with this one, however this one
    ends (it watches a pipe only this process holds). Its output goes to `log_path` (mode
    0600: it shows confirmation codes). The state directory is locked for as long as either
    process lives (the child inherits the lock), so no second server writes the same state."""

    def __init__(self, process: subprocess.Popen, port: int, parent_end: int, log_path: Path,
                 direct_socket: Path, lock: StateDirLock | None = None):
        self.process = process
        self.port = port
        self._parent_end = parent_end
        self.log_path = log_path
        self.direct_socket = direct_socket  # where the resolvers reach DynamoDB (direct_dynamodb)
        self._lock = lock

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
        # One socket per server, named by its port (ours while it lives): two local stacks of
        # one name (tests serve `dev` twice at once) share the stack directory, and a shared
        # name let the second server take the first one's resolvers over.
        direct_socket = stack_dir / f"moto-{port}.sock"
        remove_stale_sockets(private_dir(stack_dir), "moto-*.sock")
        command = [sys.executable, "-m", "chatstack.local.moto_server", "--port", str(port),
                   "--parent-fd", str(child_end), "--region", region, "--stack-dir", str(stack_dir),
                   "--direct-socket", str(direct_socket)]
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
                    return cls(process, port, parent_end, log_path, direct_socket, lock)
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
