"""Shared fixtures: the Pulumi program evaluated offline, once per stack and config."""

from __future__ import annotations

import asyncio
import functools
import json

import pytest

from chatstack.offline.evaluation import ProgramRun, evaluate_program
from chatstack.project import read_stack_config
from tests.project import stacks_root


@functools.cache
def _cached_run(stack: str, overrides_json: str) -> ProgramRun:
    config = read_stack_config(stack, stacks_root())  # the shipped stacks and the filled-in 250k template
    config.update(json.loads(overrides_json))
    return evaluate_program(stack, config=config)


def run_stack(stack: str, **overrides: str) -> ProgramRun:
    """Evaluate Pulumi.<stack>.yaml (plus `chatstack:` overrides) under mocks; cached. `finals-250k` is
    templates/final.yaml with its placeholder issuer replaced (tests.project.FINALS_VALUES)."""
    qualified = {(k if ":" in k else f"chatstack:{k}"): v for k, v in overrides.items()}
    return _cached_run(stack, json.dumps(qualified, sort_keys=True))


@pytest.fixture(scope="session")
def dev() -> ProgramRun:
    return run_stack("dev")


@pytest.fixture(scope="session")
def production() -> ProgramRun:
    return run_stack("finals-250k")


@pytest.fixture(autouse=True)
def current_event_loop():
    """Pulumi's mocks need a current event loop on the main thread; asyncio.run() in
    other tests leaves none behind."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def registered_monitors(monkeypatch) -> list:
    """The recording monitors of every offline evaluation in the test, to prove that a
    failing program registered nothing (`monitors[0].registered == []`)."""
    import chatstack.offline.evaluation as offline

    monitors: list = []
    original = offline._recording_monitor

    def recording(mocks):
        monitor = original(mocks)
        monitors.append(monitor)
        return monitor

    monkeypatch.setattr(offline, "_recording_monitor", recording)
    return monitors


# Tests by kind, so `make unit` can leave out what needs a served stack or a browser (make test
# runs them all). A module is of a kind by where it lives or by what it starts.
KINDS = {
    "browser": ("tests/web/test_browser.py", "tests/web/test_attendees.py", "tests/web/test_report_html.py"),
    "served": ("tests/scenarios/", "tests/chatstack/local/", "tests/chatstack/loadtest/test_rehearsal.py",
               "tests/chatstack/test_report.py", "tests/clients/", "tests/appsync_local/test_conformance.py"),
    "slow": ("tests/test_package.py", "tests/components/test_deploy_names.py"),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium (tests/web)")
    config.addinivalue_line("markers", "served: serves a local stack or endpoint, or runs its clients")
    config.addinivalue_line("markers", "slow: builds packages or sweeps generated inputs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.project import REPO_ROOT

    for item in items:
        path = item.path.relative_to(REPO_ROOT).as_posix()
        for kind, prefixes in KINDS.items():
            if path.startswith(prefixes):
                item.add_marker(getattr(pytest.mark, kind))
