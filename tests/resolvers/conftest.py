"""This stack's resolvers (resolvers/manifest.yaml) in the local runtime against moto: the
fixtures the emulator's own tests use (tests/appsync_local/conftest.py), with the project's manifest."""

from tests.appsync_local.conftest import clock, dynamodb, ids, manifest, runtime  # noqa: F401
