"""Why `chatstack local` cannot serve a stack (the message says why, and what to do)."""

from __future__ import annotations


class LocalStackError(RuntimeError):
    """The stack cannot be served locally (the message says why)."""


class PortInUseError(LocalStackError):
    pass
