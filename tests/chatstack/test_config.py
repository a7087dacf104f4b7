import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatstack.config import StackConfigError, config_keys, parse_config

VALID = {"environment": "development", "owner": "team", "participants": "200"}


def test_strings_from_pulumi_are_coerced():
    config = parse_config({**VALID, "messagesPerSecond": "2.5", "xrayEnabled": "true"})
    assert config.participants == 200
    assert config.messages_per_second == 2.5
    assert config.xray_enabled is True


def test_defaults_are_secure():
    config = parse_config(VALID)
    assert config.default_auth == "AMAZON_COGNITO_USER_POOLS"
    assert config.point_in_time_recovery is True
    assert config.allow_password_auth is False
    assert config.deletion_protected is False  # development
    assert parse_config({**VALID, "environment": "production"}).deletion_protected is True


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("participants", "lots", "chatstack:participants: 'lots' is not allowed"),
        ("participants", "0", "chatstack:participants: '0' is not allowed"),
        ("environment", "staging", "chatstack:environment: 'staging' is not allowed"),
        ("billingMode", "FREE", "chatstack:billingMode: 'FREE' is not allowed"),
        ("queryDepthLimit", "99", "chatstack:queryDepthLimit: '99' is not allowed"),
        ("retentionDays", "-1", "chatstack:retentionDays: '-1' is not allowed"),
    ],
)
def test_bad_value_names_key_value_and_rule(key, value, expected):
    with pytest.raises(StackConfigError) as error:
        parse_config({**VALID, key: value})
    assert expected in str(error.value)


def test_missing_required_key_is_named():
    with pytest.raises(StackConfigError, match="chatstack:participants: required, not set"):
        parse_config({"environment": "development", "owner": "team"})


def test_unknown_key_is_rejected_with_a_suggestion():
    with pytest.raises(StackConfigError, match="chatstack:participant: not a known setting; did you mean "
                                               "chatstack:participants"):
        parse_config({**VALID, "participant": "5"})


def test_config_keys_are_namespaced_camel_case():
    keys = config_keys()
    assert "chatstack:messagesPerSecond" in keys
    assert all(k.startswith("chatstack:") for k in keys)


@given(st.integers(min_value=1, max_value=5_000_000), st.integers(min_value=0, max_value=3650))
def test_any_in_range_participants_and_retention_parse(participants, days):
    config = parse_config({**VALID, "participants": str(participants), "retentionDays": str(days)})
    assert config.retention_seconds == days * 86_400


def test_attendees_use_cognito_unless_told_otherwise():
    config = parse_config(VALID)
    assert config.attendee_auth == "cognito"
    assert config.oidc_moderator == ("", "")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"attendeeAuth": "oidc"}, "chatstack:oidcIssuer: required when chatstack:attendeeAuth is oidc"),
        ({"attendeeAuth": "oidc", "oidcIssuer": "http://events.example.com"},
         "chatstack:oidcIssuer: 'http://events.example.com' is not allowed"),
        ({"attendeeAuth": "oidc", "oidcIssuer": "https://"}, "chatstack:oidcIssuer: 'https://' is not allowed"),
        ({"attendeeAuth": "oidc", "oidcIssuer": "https://e.example.com?x=1"}, "chatstack:oidcIssuer"),
        ({"attendeeAuth": "saml"}, "chatstack:attendeeAuth: 'saml' is not allowed"),
        ({"oidcModeratorClaim": "a=b=c"}, "chatstack:oidcModeratorClaim"),
        ({"oidcNameClaim": "has space"}, "chatstack:oidcNameClaim"),
        ({"oidcIatTtlSeconds": "0"}, "chatstack:oidcIatTtlSeconds"),
    ],
)
def test_oidc_settings_are_checked_naming_the_key(extra, expected):
    with pytest.raises(StackConfigError) as error:
        parse_config({**VALID, **extra})
    assert expected in str(error.value)


def test_oidc_moderator_claim_is_a_claim_and_an_optional_value():
    base = {**VALID, "attendeeAuth": "oidc", "oidcIssuer": "https://events.example.com/oidc"}
    assert parse_config({**base, "oidcModeratorClaim": "roles=moderator"}).oidc_moderator == ("roles", "moderator")
    assert parse_config({**base, "oidcModeratorClaim": "is_moderator"}).oidc_moderator == ("is_moderator", "")


def test_per_message_rooms_are_room_ids_and_only_for_batched_stacks():
    base = {"environment": "production", "owner": "o", "participants": 250_000}
    assert parse_config({**base, "fanOutMode": "batched", "perMessageRooms": ["backstage"]}).per_message_rooms == [
        "backstage"]
    with pytest.raises(StackConfigError, match="chatstack:perMessageRooms: only for chatstack:fanOutMode batched"):
        parse_config({**base, "perMessageRooms": ["backstage"]})
    with pytest.raises(StackConfigError, match="chatstack:perMessageRooms.*not a room id"):
        parse_config({**base, "fanOutMode": "batched", "perMessageRooms": ["back stage"]})


def test_self_sign_up_follows_attendee_auth_unless_set():
    oidc = {**VALID, "attendeeAuth": "oidc", "oidcIssuer": "https://events.example.com"}
    assert parse_config(VALID).self_sign_up_allowed is True
    assert parse_config(oidc).self_sign_up_allowed is False
    assert parse_config({**oidc, "selfSignUp": "true"}).self_sign_up_allowed is True


def test_ses_identity_must_be_an_ses_identity_arn():
    with pytest.raises(StackConfigError, match="chatstack:sesEmailIdentityArn"):
        parse_config({**VALID, "sesEmailIdentityArn": "arn:aws:sns:us-east-1:123456789012:topic"})
