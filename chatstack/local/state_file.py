"""The local stack's kept state on disk: who may read it, who may serve it, what may load it.

- **Owner only.** The state directory is mode 0700 and its files 0600: moto's state and
  log hold every local user's password and confirmation codes.
- **One server per directory.** `StateDirLock` holds an exclusive `flock` on `<dir>/lock`
  for as long as the stack serves; a second `chatstack local` on the same directory is
  refused (naming the holder's pid), so no two servers overwrite each other's snapshots.
- **Only our own snapshots load.** moto's backends are pickled, and unpickling runs code:
  each snapshot is sealed with an HMAC-SHA256 under a per-directory key (`state.key`, 0600),
  and a file whose seal does not verify (planted, truncated, from another directory) is
  refused before `pickle.loads` sees a byte, naming the file and `--fresh`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
from pathlib import Path

STATE_KEY_FILE = "state.key"
LOCK_FILE = "lock"
MAGIC = b"chatstack-state/1\n"
DIGEST_BYTES = hashlib.sha256().digest_size


class StateFileError(RuntimeError):
    """The kept state cannot be used (the message names the file and what to do)."""


def private_dir(path: Path) -> Path:
    """`path` created if missing, readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):  # not ours to change: mkdir's mode stands
        os.chmod(path, 0o700)
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with mode 0600, and an existing file's mode brought down to 0600 too."""
    fd = os.open(path, flags, 0o600)
    with contextlib.suppress(PermissionError):
        os.fchmod(fd, 0o600)
    return fd


def state_key(directory: Path) -> bytes:
    """The directory's sealing key, created on first use."""
    path = private_dir(directory) / STATE_KEY_FILE
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        key = secrets.token_bytes(32)
        handle.write(key)
    return key


def seal(blob: bytes, key: bytes) -> bytes:
    return MAGIC + hmac.new(key, blob, hashlib.sha256).digest() + blob


def unseal(data: bytes, key: bytes, path: Path) -> bytes:
    """The sealed blob, or StateFileError naming `path` and the way out."""
    remedy = ("move it away, or start with --fresh to discard the kept state "
              "(chatstack local --fresh)")
    if not data.startswith(MAGIC):
        raise StateFileError(f"{path} is not a chatstack state file (or is from an older version): {remedy}")
    digest, blob = data[len(MAGIC):len(MAGIC) + DIGEST_BYTES], data[len(MAGIC) + DIGEST_BYTES:]
    if not hmac.compare_digest(digest, hmac.new(key, blob, hashlib.sha256).digest()):
        raise StateFileError(f"{path} is corrupted or was not written by this state directory's server "
                             f"(its seal does not verify), so it is not loaded: {remedy}")
    return blob


def write_atomically(path: Path, data: bytes) -> None:
    """`data` at `path` (mode 0600) or, on any error (a full disk), the old file untouched."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # never write through whatever was left (or planted) under this name
    fd = open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


class StateDirLock:
    """An exclusive lock on a state directory, held until `release()` or the process ends."""

    def __init__(self, directory: Path):
        self.directory = private_dir(directory)
        self.path = directory / LOCK_FILE
        self.fd: int | None = None  # inherited by the server process, which then holds it too

    def acquire(self) -> StateDirLock:
        fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StateFileError(
                f"{self.directory} is in use by another chatstack local (pid {holder}): stop that one, "
                f"or give this one its own --state-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # the lock goes once the server process has closed its copy too
            self.fd = None
