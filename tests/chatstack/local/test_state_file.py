"""chatstack.local.state_file: sealed snapshots, the directory lock, owner-only files."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from chatstack.local.state_file import StateDirLock, StateFileError, seal, state_key, unseal, write_atomically


def test_only_a_snapshot_sealed_with_the_directorys_key_unseals(tmp_path):
    key = state_key(tmp_path)
    assert state_key(tmp_path) == key and (tmp_path / "state.key").stat().st_mode & 0o777 == 0o600
    blob = pickle.dumps({"table": [1, 2, 3]})
    path = tmp_path / "moto.pickle"
    assert unseal(seal(blob, key), key, path) == blob
    planted = pickle.dumps(print)  # any pickle at all: it must never reach pickle.loads
    for data, reason in ((planted, "not a chatstack state file"),
                         (seal(blob, key)[:-1], "seal does not verify"),
                         (seal(blob, b"another directory's key"), "seal does not verify")):
        with pytest.raises(StateFileError, match=reason) as refused:
            unseal(data, key, path)
        assert str(path) in str(refused.value) and "--fresh" in str(refused.value)


def test_written_files_and_directories_are_the_owners_only(tmp_path):
    target = tmp_path / "state" / "moto.pickle"
    target.parent.mkdir(mode=0o755)
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600 and target.parent.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["moto.pickle"]  # no temporary left


def test_a_state_directory_serves_one_server_at_a_time_even_across_processes(tmp_path):
    held = StateDirLock(tmp_path).acquire()
    probe = ("import sys; from pathlib import Path; from chatstack.local.state_file import StateDirLock\n"
             "try:\n    StateDirLock(Path(sys.argv[1])).acquire()\nexcept Exception as e:\n    print(e)")
    other = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert f"in use by another chatstack local (pid {os.getpid()})" in other.stdout
    assert "--state-dir" in other.stdout
    held.release()
    again = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert again.stdout == ""
