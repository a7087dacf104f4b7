import pytest

from tests.conftest import run_stack

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_password_policy_and_email_alias(dev):
    pool = dev.one(POOL).inputs
    policy = pool["passwordPolicy"]
    assert policy["minimumLength"] >= 12
    assert all(policy[k] for k in ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"))
    assert pool["aliasAttributes"] == ["email"]


def test_public_client_without_secret_and_srp_refresh_flows(production):
    client = production.one(CLIENT).inputs
    assert client["generateSecret"] is False
    assert set(client["explicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}


def test_password_flow_only_when_config_allows(dev):
    assert "ALLOW_USER_PASSWORD_AUTH" in dev.one(CLIENT).inputs["explicitAuthFlows"]
    locked = run_stack("dev", allowPasswordAuth="false")
    assert "ALLOW_USER_PASSWORD_AUTH" not in locked.one(CLIENT).inputs["explicitAuthFlows"]


def test_moderators_group(dev):
    group = dev.one("aws:cognito/userGroup:UserGroup")
    assert group.inputs["name"] == "moderators"
    assert group.parent == dev.one(POOL).parent


def test_production_pool_is_deletion_protected_protected_and_retained(dev, production):
    prod = production.one(POOL)
    assert prod.inputs["deletionProtection"] == "ACTIVE" and prod.protect and prod.retain_on_delete
    assert dev.one(POOL).inputs["deletionProtection"] == "INACTIVE" and not dev.one(POOL).protect


@pytest.mark.parametrize("stack", ["dev", "finals-250k"])
def test_usernames_are_case_insensitive(stack):
    """"Bob" and "bob" must not both exist; AWS only lets this be set when the pool is created."""
    pool = run_stack(stack).one("aws:cognito/userPool:UserPool")
    assert pool.inputs["usernameConfiguration"] == {"caseSensitive": False}


def test_oidc_events_keep_staff_admin_created_and_cognito_events_let_attendees_sign_up(dev, production):
    # finals-250k: attendees come from the event platform; only administrators create (staff) users.
    assert production.one(POOL).inputs["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    assert dev.one(POOL).inputs["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": False}
    assert run_stack("dev", selfSignUp="false").one(POOL).inputs["adminCreateUserConfig"] == {
        "allowAdminCreateUserOnly": True}


def test_email_goes_through_ses_when_an_identity_is_configured(dev):
    assert dev.one(POOL).inputs["emailConfiguration"] == {"emailSendingAccount": "COGNITO_DEFAULT"}
    arn = "arn:aws:ses:us-east-1:123456789012:identity/chat.example.com"
    pool = run_stack("dev", sesEmailIdentityArn=arn).one(POOL).inputs
    assert pool["emailConfiguration"] == {"emailSendingAccount": "DEVELOPER", "sourceArn": arn}


def test_the_planner_assumes_the_token_lifetime_the_client_issues(dev):
    from chatstack.planning.planner import TOKEN_REFRESH_SECONDS

    client = dev.one(CLIENT).inputs
    assert client["tokenValidityUnits"]["idToken"] == "minutes"
    assert client["idTokenValidity"] * 60 == TOKEN_REFRESH_SECONDS
