"""The APPSYNC_JS conformance suite (appsync_local/conformance): it passes above its floor, every
case cites a public source, and the runner does fail a case the runtime does not match."""

from __future__ import annotations

import pytest
import yaml

from appsync_local.conformance import case_files, format_report, load_cases, run_suite
from appsync_local.conformance.__main__ import DEFAULT_FLOOR, main


@pytest.fixture(scope="module")
def report():
    return run_suite()


def test_the_suite_passes_above_its_floor(report):
    assert report.total >= 200
    assert report.rate >= DEFAULT_FLOOR, format_report(report, verbose=True)


def test_every_area_of_the_issue_is_covered(report):
    areas = set(report.by_area())
    assert {"util", "util.time", "util.dynamodb", "util.xml", "util.transform (DynamoDB)",
            "util.transform (subscriptions)", "@aws-appsync/utils/dynamodb", "runtime, pipelines, ctx",
            "language restrictions", "request: ctx.info, errors"} <= areas


def test_every_case_cites_a_public_source():
    for case in load_cases():
        assert case.source.startswith(("https://", "npm ")), (case.area, case.name, case.source)


def _write(tmp_path, cases):
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({"area": "probe", "source": "https://example.invalid/doc", "cases": cases}))
    return path


def test_a_case_the_runtime_does_not_match_fails(tmp_path):
    path = _write(tmp_path, [
        {"name": "right", "expr": "util.dynamodb.toDynamoDB(1)", "expect": {"N": 1}},
        {"name": "wrong value", "expr": "util.dynamodb.toDynamoDB(1)", "expect": {"N": "1"}},
        {"name": "accepted but AWS refuses", "reject": "export function request(ctx) { return {}; }"},
        {"name": "no expectation", "expr": "1"},
        {"name": "wrong error type", "code": "export function request(ctx) { util.error('m', 'A'); }",
         "expect_error": {"errorType": "B"}},
    ])
    report = run_suite([path])
    assert [o.passed for o in report.outcomes] == [True, False, False, False, False]
    assert "probe" in format_report(report) and "wrong value" in format_report(report)


def test_the_command_fails_below_the_floor(capsys, monkeypatch, tmp_path):
    path = _write(tmp_path, [{"name": "wrong", "expr": "1", "expect": 2}, {"name": "right", "expr": "1", "expect": 1}])
    monkeypatch.setattr("appsync_local.conformance.__main__.run_suite", lambda: run_suite([path]))
    assert main(["--floor", "95"]) == 1
    assert main(["--floor", "50"]) == 0
    assert "1/2" in capsys.readouterr().out


def test_the_case_files_are_shipped_with_the_package():
    assert {p.name for p in case_files()} >= {"util_time.yaml", "language.yaml", "dynamodb_module.yaml"}
