"""The served dev stack of the server tests, for chatstack's tools that read a served stack (export)."""

from tests.scenarios.conftest import served  # noqa: F401
