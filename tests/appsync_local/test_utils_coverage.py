"""The runtime library's coverage of the @aws-appsync/utils declarations (benchmarks/utils_coverage.py)
must not regress, and must include everything the resolvers in resolvers/ call."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "utils_coverage.py"

# Implemented/declared per namespace (79/106 in all: toElasticsearchQueryDSL added). Raise these as
# the runtime grows; a lower figure is a regression.
MINIMUM = {
    "util": 13,
    "util.time": 9,
    "util.dynamodb": 14,
    "util.http": 3,
    "util.transform": 4,
    "util.xml": 2,
    "util.math": 5,
    "util.str": 1,
    "extensions": 4,
    "runtime": 1,
    "@aws-appsync/utils/dynamodb": 15,
    "@aws-appsync/utils/dynamodb.operations": 8,
}
MINIMUM_TOTAL = 79


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("utils_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    declarations = module.declared()
    present = module.implemented(declarations)
    return module, declarations, present


def _implemented(declarations, present) -> set[str]:
    return {f"{ns}.{name}" for ns, names in declarations.items() for name in names if name in present.get(ns, ())}


def test_the_declarations_are_read_from_the_d_ts(coverage):
    _, declarations, _ = coverage
    assert {"util", "util.time", "util.dynamodb", "util.transform", "util.str", "util.math", "runtime", "extensions",
            "@aws-appsync/utils/dynamodb", "@aws-appsync/utils/dynamodb.operations"} <= set(declarations)
    assert "nowISO8601" in declarations["util.time"]
    assert "transactWrite" in declarations["@aws-appsync/utils/dynamodb"]
    assert sum(len(v) for v in declarations.values()) >= 100


def test_everything_the_resolvers_use_is_implemented(coverage):
    module, declarations, present = coverage
    used = module.used_by_resolvers(declarations)
    assert {"util.error", "util.autoUlid", "util.time.nowISO8601", "util.dynamodb.toMapValues"} <= used
    assert used <= _implemented(declarations, present)


def test_coverage_does_not_regress(coverage):
    _, declarations, present = coverage
    implemented = _implemented(declarations, present)
    per_namespace = {ns: sum(1 for name in implemented if name.rsplit(".", 1)[0] == ns) for ns in declarations}
    for ns, minimum in MINIMUM.items():
        assert per_namespace.get(ns, 0) >= minimum, f"{ns}: {per_namespace.get(ns, 0)} < {minimum}"
    assert len(implemented) >= MINIMUM_TOTAL
