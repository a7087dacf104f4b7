import json

import pytest

from chatstack.config import StackConfigError
from chatstack.offline.evaluation import evaluate_program
from chatstack.project import read_stack_config
from tests.conftest import run_stack
from tests.project import PROJECT, shipped_stacks

API = "aws:appsync/graphQLApi:GraphQLApi"


def test_cognito_default_auth_and_iam_additional(dev):
    api = dev.one(API).inputs
    assert api["authenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["userPoolConfig"]["defaultAction"] == "ALLOW"
    assert api["userPoolConfig"]["userPoolId"] == dev.outputs["userPoolId"]
    assert {"authenticationType": "AWS_IAM"} in api["additionalAuthenticationProviders"]


def test_limits_logging_xray_and_introspection(dev, production):
    prod = production.one(API).inputs
    assert prod["introspectionConfig"] == "DISABLED"
    assert prod["logConfig"]["excludeVerboseContent"] is True
    assert prod["logConfig"]["fieldLogLevel"] == "ERROR"
    assert prod["xrayEnabled"] is True
    assert prod["queryDepthLimit"] == 6
    assert prod["resolverCountLimit"] > 0
    assert dev.one(API).inputs["introspectionConfig"] == "ENABLED"
    assert dev.one(API).inputs["logConfig"]["fieldLogLevel"] == "ALL"


def test_api_key_default_auth_is_refused_before_any_resource_naming_the_key(registered_monitors):
    """No type carries @aws_api_key: an API_KEY default would refuse key callers everywhere and
    lock Cognito users out of undirected fields, so the option is not offered."""
    config = read_stack_config("dev")
    config["chatstack:defaultAuth"] = "API_KEY"
    with pytest.raises(StackConfigError, match="chatstack:defaultAuth: 'API_KEY' is not allowed.*shared secret"):
        evaluate_program("dev", config=config)
    assert registered_monitors[0].registered == []


@pytest.mark.parametrize("stack", shipped_stacks())
def test_no_stack_registers_an_api_key_or_an_api_key_provider(stack):
    run = run_stack(stack)
    api = run.one(API).inputs
    modes = [api["authenticationType"]] + [p["authenticationType"] for p in api["additionalAuthenticationProviders"]]
    assert "API_KEY" not in modes and run.of_type("aws:appsync/apiKey:ApiKey") == []
    assert "@aws_api_key" not in api["schema"]


def test_every_manifest_entry_is_deployed_with_appsync_js(dev):
    manifest = PROJECT.manifest()
    resolvers = {(r.inputs["type"], r.inputs["field"]): r for r in dev.of_type("aws:appsync/resolver:Resolver")}
    assert set(resolvers) == {(r.type, r.field) for r in manifest.resolvers}
    functions = {f.inputs["name"]: f for f in dev.of_type("aws:appsync/function:Function")}
    assert set(functions) == {f.name for f in manifest.functions}
    for resource in [*resolvers.values(), *functions.values()]:
        assert resource.inputs["runtime"] == {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
        assert "ctx.env." not in resource.inputs["code"]
    for entry in manifest.resolvers:
        deployed = resolvers[(entry.type, entry.field)].inputs
        assert deployed["kind"] == entry.kind
        if entry.kind == "PIPELINE":
            ids = deployed["pipelineConfig"]["functions"]
            # the manifest's functions, in the manifest's order
            assert ids == [functions[name].computed["functionId"] for name in entry.functions], entry.field
        else:
            assert deployed["dataSource"] == entry.data_source


def test_data_sources_functions_and_resolvers_are_created_one_after_another(dev):
    """Parallel changes on one API fail with ConcurrentModificationException; the provider
    retries it only for resolvers, so data sources and functions are in the chain too."""
    chained = (dev.of_type("aws:appsync/dataSource:DataSource") + dev.of_type("aws:appsync/function:Function")
               + dev.of_type("aws:appsync/resolver:Resolver"))
    api_urn = dev.one(API).urn
    urns = {r.urn for r in chained}
    for resource in chained:
        assert set(resource.dependencies) & (urns | {api_urn})
    # one chain: of any two, one (transitively) waits for the other
    deps = {r.urn: set(r.dependencies) & urns for r in chained}

    def reaches(a, b, seen=()):
        return b in deps[a] or any(reaches(d, b, (*seen, a)) for d in deps[a] if d not in seen)

    for a in urns:
        for b in urns - {a}:
            assert reaches(a, b) or reaches(b, a), (a, b)


def test_data_source_role_is_scoped_to_this_table_and_item_actions(dev):
    table_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{dev.outputs['tableName']}"
    policies = [json.loads(p.inputs["policy"]) for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
                if not p.name.startswith("chat-archive")]  # the archive consumer reads the stream (test_chat_archive)
    dynamo = [s for p in policies for s in p["Statement"] if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert len(dynamo) == 1
    statement = dynamo[0]
    assert statement["Resource"] == [table_arn, f"{table_arn}/index/*"]
    assert set(statement["Action"]) == set(PROJECT.manifest().data_source("chatTable").iam_actions)
    assert not any("*" in action for action in statement["Action"])


def test_log_role_writes_only_to_its_log_group(dev):
    (group,) = [g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.startswith("chat-graphql")]
    assert group.inputs["name"] == f"/aws/appsync/apis/{dev.outputs['apiId']}"
    policies = [json.loads(p.inputs["policy"]) for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
                if not p.name.startswith("chat-archive")]  # the archive consumer reads the stream (test_chat_archive)
    logs = [s for p in policies for s in p["Statement"] if s["Action"][0].startswith("logs:")]
    assert all(r.startswith(f"arn:aws:logs:us-east-1:123456789012:log-group:{group.inputs['name']}")
               for r in logs[0]["Resource"])


def test_oidc_attendees_add_an_openid_connect_provider_and_reach_the_resolvers():
    run = run_stack("dev", attendeeAuth="oidc", oidcIssuer="https://events.example.com", oidcClientId="chat-web",
                    oidcAuthTtlSeconds="7200", oidcIatTtlSeconds="600", oidcNameClaim="nickname",
                    oidcModeratorClaim="roles=moderator")
    api = run.one(API).inputs
    assert api["authenticationType"] == "AMAZON_COGNITO_USER_POOLS"  # staff stay in Cognito
    oidc = [p for p in api["additionalAuthenticationProviders"] if p["authenticationType"] == "OPENID_CONNECT"]
    assert oidc == [{"authenticationType": "OPENID_CONNECT", "openidConnectConfig": {
        "issuer": "https://events.example.com", "clientId": r"^chat\-web$", "authTtl": 7_200_000, "iatTtl": 600_000}}]
    validate = next(f for f in run.of_type("aws:appsync/function:Function") if f.inputs["name"] == "validateArgs")
    code = validate.inputs["code"]
    assert 'claims["nickname"]' in code and 'const claim = "roles"' in code and 'const wanted = "moderator"' in code


def test_cognito_attendee_stacks_have_no_oidc_provider(dev):
    providers = dev.one(API).inputs["additionalAuthenticationProviders"]
    assert [p["authenticationType"] for p in providers] == ["AWS_IAM"]


def test_batched_stacks_deploy_the_per_room_subscription_rule_with_their_listed_rooms():
    def on_send(run):
        [resolver] = [r for r in run.of_type("aws:appsync/resolver:Resolver")
                      if (r.inputs["type"], r.inputs["field"]) == ("Subscription", "onSendMessage")]
        return resolver.inputs

    batched = on_send(run_stack("finals-250k"))
    assert batched["kind"] == "PIPELINE"

    def rule(run):
        [function] = [f for f in run.of_type("aws:appsync/function:Function")
                      if f.inputs["name"] == "allowRoomSubscription"]
        return function.inputs["code"]

    assert json.dumps(json.dumps(["backstage", "press"])) in rule(run_stack("finals-250k",
                                                                            perMessageRooms='["backstage", "press"]'))
    assert json.dumps(json.dumps([])) in rule(run_stack("finals-250k"))
    assert '"*"' in rule(run_stack("dev"))  # per-message stacks: every room


def test_appsync_service_roles_trust_only_this_accounts_apis(dev):
    """Confused deputy: AppSync names the calling API (aws:SourceArn) and its account when it assumes a role."""
    roles = [json.loads(r.inputs["assumeRolePolicy"]) for r in dev.of_type("aws:iam/role:Role")
             if "appsync.amazonaws.com" in r.inputs["assumeRolePolicy"]]
    assert len(roles) >= 2  # the log role and the data-source roles
    for document in roles:
        [statement] = document["Statement"]
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:appsync:us-east-1:123456789012:apis/*"}}
