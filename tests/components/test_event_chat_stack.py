import json

import pytest

from chatstack import stack_outputs
from chatstack.config import StackConfigError
from chatstack.offline.evaluation import evaluate_program
from chatstack.project import read_stack_config, read_template_config, stack_names
from tests.conftest import run_stack
from tests.project import FINALS_TEMPLATE, PROJECT, shipped_stacks, stack_config

# the contract (chatstack.stack_outputs) is what the deployed program exports
OUTPUT_KEYS = {*stack_outputs.OUTPUT_KEYS, *stack_outputs.OPERATIONS_OUTPUT_KEYS}
OIDC_OUTPUT_KEYS = set(stack_outputs.OIDC_OUTPUT_KEYS)
WEB_OUTPUT_KEYS = set(stack_outputs.WEB_OUTPUT_KEYS)
TAGGED = {
    "aws:dynamodb/table:Table", "aws:cognito/userPool:UserPool", "aws:appsync/graphQLApi:GraphQLApi",
    "aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup",
}


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_shipped_stack_evaluates_with_exact_outputs(stack):
    run = run_stack(stack)
    oidc = stack_config(stack).get("chatstack:attendeeAuth") == "oidc"
    web = stack_config(stack).get("chatstack:webApp") == "true"
    assert set(run.outputs) == OUTPUT_KEYS | (OIDC_OUTPUT_KEYS if oidc else set()) | (WEB_OUTPUT_KEYS if web else set())
    assert run.outputs["attendeeAuth"] == ("oidc" if oidc else "cognito")
    # the sign-in page offers "Create Account" exactly when the pool allows it
    pool = run.one("aws:cognito/userPool:UserPool").inputs
    assert run.outputs["selfSignUp"] is (not pool["adminCreateUserConfig"]["allowAdminCreateUserOnly"])
    if oidc:
        config = stack_config(stack)
        assert (run.outputs["oidcIssuer"], run.outputs["oidcClientId"]) == (
            config["chatstack:oidcIssuer"], config["chatstack:oidcClientId"])  # literal, not the AppSync regex
    assert run.outputs["graphqlUrl"].startswith("https://") and run.outputs["realtimeUrl"].startswith("wss://")
    assert len(run.of_type("aws:dynamodb/table:Table")) == 1


def test_shipped_stacks_include_dev_and_a_250k_production_template():
    stacks = shipped_stacks()
    assert "dev" in stacks
    big = [s for s in stacks if stack_config(s).get("chatstack:participants") == "250000"]
    assert big and stack_config(big[0])["chatstack:environment"] == "production"
    assert stack_config(big[0])["chatstack:webApp"] == "true"  # attendees join in the web client
    assert "finals-250k" not in stack_names(PROJECT.root)  # a template, not a stack until filled in


@pytest.mark.parametrize("issuer", ["https://login.events.example.com", "https://id.example.org/tenant",
                                    "https://platform.test", "https://sso.invalid", "https://localhost:8443",
                                    "https://127.0.0.1", "https://auth.events.example"])
def test_a_production_stack_with_a_reserved_example_issuer_fails_before_any_resource(registered_monitors, issuer):
    seen = registered_monitors
    config = {**read_template_config(FINALS_TEMPLATE, PROJECT.root), "chatstack:oidcIssuer": issuer}
    with pytest.raises(StackConfigError, match=r"chatstack:oidcIssuer: '.*' is a reserved example host") as error:
        evaluate_program("finals-250k", config=config)
    assert repr(issuer) in str(error.value)
    assert seen and seen[0].registered == []


def test_reserved_example_issuers_are_fine_in_development_and_real_ones_in_production():
    template = read_template_config(FINALS_TEMPLATE, PROJECT.root)  # as shipped: the placeholder issuer
    run = run_stack("dev", attendeeAuth="oidc", oidcIssuer=template["chatstack:oidcIssuer"])
    assert run.outputs["oidcIssuer"] == "https://login.events.example.com"
    for real in ("https://login.examples.com", "https://example.company", "https://notexample.org"):
        assert run_stack("finals-250k", oidcIssuer=real).outputs["oidcIssuer"] == real


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_taggable_resource_carries_event_tags(stack):
    run = run_stack(stack)
    config = stack_config(stack)
    for resource in run.resources:
        if resource.type in TAGGED:
            tags = resource.inputs["tags"]
            assert tags["event"] == stack, resource.name
            assert tags["environment"] == config["chatstack:environment"]
            assert tags["owner"] == config["chatstack:owner"]


def test_children_are_parented_and_named_from_their_component(dev):
    by_urn = {r.urn: r for r in dev.resources}
    for resource in dev.resources:
        if resource.type == "chatstack:index:EventChatStack":
            continue
        parent = by_urn[resource.parent]
        assert resource.name.startswith(parent.name), (resource.name, parent.name)


def test_two_stacks_have_disjoint_physical_names_and_policies(dev, production):
    def physical(run):
        return {r.inputs["name"] for r in run.resources if r.custom and isinstance(r.inputs.get("name"), str)
                and r.type != "aws:appsync/function:Function" and r.type != "aws:appsync/dataSource:DataSource"
                and r.type != "aws:cognito/userGroup:UserGroup"}

    assert physical(dev) and not physical(dev) & physical(production)
    for run, other in ((dev, production), (production, dev)):
        for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
            text = policy.inputs["policy"]
            assert other.outputs["tableName"] not in text and other.outputs["apiId"] not in text
            assert run.stack in json.dumps(text) or run.outputs["apiId"] in text


def test_bad_config_fails_before_any_resource_and_names_the_key():
    config = read_stack_config("dev")
    config["chatstack:participants"] = "-5"
    with pytest.raises(StackConfigError, match="chatstack:participants"):
        evaluate_program("dev", config=config)
    # nothing was registered: the same evaluation with a good value registers everything
    config["chatstack:participants"] = "5"
    assert len(evaluate_program("dev", config=config).resources) > 10


def test_config_error_registers_nothing(registered_monitors):
    seen = registered_monitors
    config = read_stack_config("dev")
    config["chatstack:environment"] = "staging"
    with pytest.raises(StackConfigError, match="chatstack:environment: 'staging'"):
        evaluate_program("dev", config=config)
    assert seen and seen[0].registered == []
