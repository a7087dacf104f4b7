"""What the web client is served with: config.json keys and security headers."""

import pytest

from chatstack.web_contract import (
    CLIENT_CONFIG_KEYS,
    client_config,
    content_security_policy,
    security_headers,
)

OUTPUTS = {"graphqlUrl": "https://a.appsync-api.eu-west-1.amazonaws.com/graphql",
           "realtimeUrl": "wss://a.appsync-realtime-api.eu-west-1.amazonaws.com/graphql",
           "region": "eu-west-1", "userPoolId": "eu-west-1_x", "userPoolClientId": "c", "fanOutMode": "perMessage",
           "apiId": "a", "tableName": "t", "attendeeAuth": "cognito", "selfSignUp": True}
OIDC = {"oidcIssuer": "https://login.events.example", "oidcClientId": "finals.chat", "oidcScopes": "openid profile",
        "oidcModeratorClaim": "chat_role=moderator"}


def test_client_config_takes_only_what_the_client_reads():
    assert client_config(OUTPUTS) == {k: OUTPUTS[k] for k in CLIENT_CONFIG_KEYS}
    assert client_config({**OUTPUTS, "cognitoEndpoint": "http://127.0.0.1:9"})["cognitoEndpoint"] == "http://127.0.0.1:9"


def test_oidc_stacks_tell_the_client_where_attendees_sign_in():
    assert client_config({**OUTPUTS, **OIDC}) == {k: OUTPUTS[k] for k in CLIENT_CONFIG_KEYS}  # cognito: ignored
    config = client_config({**OUTPUTS, **OIDC, "attendeeAuth": "oidc"})
    assert {k: config[k] for k in OIDC} == OIDC and config["attendeeAuth"] == "oidc"


def test_client_config_names_a_missing_output():
    with pytest.raises(KeyError, match="fanOutMode"):
        client_config({k: v for k, v in OUTPUTS.items() if k != "fanOutMode"})


def test_the_web_client_checks_the_same_keys():
    from pathlib import Path

    source = (Path(__file__).parents[2] / "web" / "src" / "config.ts").read_text()
    for key in CLIENT_CONFIG_KEYS:
        assert f"'{key}'" in source or f"{key}:" in source, key


def test_csp_allows_only_the_given_endpoints_and_no_framing():
    csp = content_security_policy(["https://api/graphql", "wss://rt/graphql"])
    directives = dict((p.split()[0], p.split()[1:]) for p in csp.split("; "))
    assert directives["connect-src"] == ["'self'", "https://api/graphql", "wss://rt/graphql"]
    assert directives["default-src"] == ["'none'"] and directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_headers_deny_framing_unless_an_origin_may_embed():
    closed = security_headers(["https://api"]).http_headers(https=True)
    assert closed["X-Frame-Options"] == "DENY" and "max-age=" in closed["Strict-Transport-Security"]
    embedded = security_headers(["https://api"], ["https://live.example.com"]).http_headers(https=False)
    assert "X-Frame-Options" not in embedded and "Strict-Transport-Security" not in embedded
    assert "frame-ancestors https://live.example.com" in embedded["Content-Security-Policy"]
