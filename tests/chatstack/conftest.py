"""The served dev stack of the server tests, for chatstack's tools that read a served stack (export)."""

from tests.appsync_local.server.conftest import served  # noqa: F401
