"""Shared fixtures: the Pulumi program evaluated offline, once per stack and config."""

from __future__ import annotations

import functools
import json

import pytest

from chatstack.offline import ProgramRun, evaluate_program, read_stack_config


@functools.cache
def _cached_run(stack: str, overrides_json: str) -> ProgramRun:
    config = read_stack_config(stack)
    config.update(json.loads(overrides_json))
    return evaluate_program(stack, config=config)


def run_stack(stack: str, **overrides: str) -> ProgramRun:
    """Evaluate Pulumi.<stack>.yaml (plus `chatstack:` overrides) under mocks; cached."""
    qualified = {(k if ":" in k else f"chatstack:{k}"): v for k, v in overrides.items()}
    return _cached_run(stack, json.dumps(qualified, sort_keys=True))


@pytest.fixture(scope="session")
def dev() -> ProgramRun:
    return run_stack("dev")


@pytest.fixture(scope="session")
def production() -> ProgramRun:
    return run_stack("finals-250k")
