"""Deploy check: every physical name the program registers is one AWS accepts (limits from
botocore's service models), for the shipped stacks and for any accepted event name; names
that cannot fit are refused before any resource, naming the limit."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatstack.aws_name_limits import name_problems
from chatstack.config import StackConfigError
from chatstack.event_names import NAME_FORMS, max_event_length
from chatstack.offline.evaluation import ProgramRun, evaluate_program
from chatstack.project import project_name, read_stack_config, stack_names
from tests.conftest import run_stack
from tests.project import stacks_root

PROJECT = project_name()
LONGEST, LIMIT_REASON = max_event_length(PROJECT)
EVENT_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def problems(run: ProgramRun) -> list[str]:
    return [p for r in run.resources for p in name_problems(r.type, r.name, r.inputs)]


def evaluate_as(event: str, base_stack: str, **overrides: str) -> ProgramRun:
    config = read_stack_config(base_stack, stacks_root())
    config.update({f"chatstack:{key}": value for key, value in overrides.items()})
    return evaluate_program(event, config=config)


@pytest.mark.parametrize("stack", stack_names(stacks_root()))  # the shipped stacks and the 250k template
def test_every_shipped_stack_registers_only_names_aws_accepts(stack):
    assert problems(run_stack(stack)) == []


def test_a_long_event_name_registers_only_names_aws_accepts():
    # 26 characters: before, the data-source role's name prefix was 39 (> 38) and `pulumi up` failed.
    run = evaluate_as("worldcup-final-2027-europe", "finals-250k")
    assert problems(run) == []
    prefixes = [r.inputs["namePrefix"] for r in run.of_type("aws:iam/role:Role")]
    assert prefixes and all(len(p) <= 38 for p in prefixes), prefixes


@pytest.mark.parametrize("base_stack", ["dev", "finals-250k"])
def test_the_longest_accepted_event_name_registers_only_names_aws_accepts(base_stack):
    run = evaluate_as("e" * LONGEST, base_stack, billingMode="PROVISIONED")
    assert problems(run) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.text(EVENT_CHARACTERS, min_size=1, max_size=LONGEST).filter(lambda e: e[0] not in "-_"),
    base_stack=st.sampled_from(["dev", "finals-250k"]),
    billing_mode=st.sampled_from(["PAY_PER_REQUEST", "PROVISIONED"]),
)
def test_any_accepted_event_name_registers_only_names_aws_accepts(event, base_stack, billing_mode):
    assert problems(evaluate_as(event, base_stack, billingMode=billing_mode)) == []


def test_an_event_name_one_too_long_is_refused_before_any_resource_naming_the_limit(registered_monitors):
    with pytest.raises(StackConfigError) as refused:
        evaluate_as("e" * (LONGEST + 1), "dev")
    message = str(refused.value)
    assert f"at most {LONGEST}" in message and "64" in message and "FunctionName" in message
    assert registered_monitors and registered_monitors[0].registered == []


@pytest.mark.parametrize("event", ["finals.2027", "final 2027", "-finals", "finale/europe", "é"])
def test_event_names_with_characters_some_resource_rejects_are_refused_before_any_resource(
        event, registered_monitors):
    with pytest.raises(StackConfigError, match="letters, digits, '-' and '_'"):
        evaluate_as(event, "dev")
    assert registered_monitors[0].registered == []


def test_name_forms_cover_every_registered_name_that_contains_the_event():
    """The pre-check reasons over NAME_FORMS; a component that builds a new name from the event
    without listing it here could break a limit the pre-check does not know of."""
    event = "coverage-probe"
    run = evaluate_as(event, "finals-250k", billingMode="PROVISIONED")
    forms = {(f.resource_type, f.render(PROJECT, event)) for f in NAME_FORMS}
    for resource in run.resources:
        name = resource.inputs.get("name")
        if isinstance(name, str) and event in name:
            assert (resource.type, name) in forms, (resource.type, name)


def test_every_name_form_is_registered_by_some_stack():
    event = "coverage-probe"
    run = evaluate_as(event, "finals-250k")
    registered = {(r.type, r.inputs.get(form.prop)) for r in run.resources for form in NAME_FORMS}
    for form in NAME_FORMS:
        assert (form.resource_type, form.render(PROJECT, event)) in registered, form
