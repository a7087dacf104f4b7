"""schema/operations.graphql, the one copy of what this project's clients send: valid against
the schema, and every operation the web client and the Node clients name is in it."""

from __future__ import annotations

import re

import pytest
from graphql import build_schema, parse, validate

from appsync_local.server.graphql_endpoint import PRELUDE
from chatstack.operations import names, operation
from tests.project import REPO_ROOT


def test_every_operation_is_valid_against_the_schema():
    schema = build_schema(PRELUDE + (REPO_ROOT / "schema" / "chat.graphql").read_text(encoding="utf-8"))
    document = parse((REPO_ROOT / "schema" / "operations.graphql").read_text(encoding="utf-8"))
    assert validate(schema, document) == []
    for name in names():  # each alone, with only the fragments it spreads, is a valid document
        assert validate(schema, parse(operation(name))) == [], name


@pytest.mark.parametrize("client", ["web/src/data/operations.ts", "tests/clients/amplify_session.mjs",
                                    "tests/clients/apollo_session.mjs", "chatstack/loadtest/scenario.py"])
def test_the_clients_name_operations_the_file_has(client):
    named = set(re.findall(r"operation\(['\"](\w+)['\"]\)", (REPO_ROOT / client).read_text(encoding="utf-8")))
    assert named and named <= set(names()), named - set(names())


def test_an_unknown_operation_is_refused_naming_the_file():
    with pytest.raises(KeyError, match="operations.graphql has no operation named Nope"):
        operation("Nope")


def test_the_web_clients_types_are_what_the_schema_and_operations_generate():
    """Stale? Run `.venv/bin/python -m chatstack.operation_types` and commit the result."""
    from chatstack.operation_types import OUTPUT, typescript

    assert (REPO_ROOT / OUTPUT).read_text(encoding="utf-8") == typescript(REPO_ROOT)
