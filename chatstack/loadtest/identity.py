"""Simulated attendees' tokens, obtained the way the stack's real attendees get theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gevent.lock import BoundedSemaphore

from chatstack.loadtest.scenario import Scenario, ScenarioError

COGNITO_CONCURRENCY = 100  # sign-ups in flight per worker process


class CognitoAttendees:
    """Cognito stacks: each simulated attendee signs up, is confirmed and signs in
    (USER_PASSWORD_AUTH) through the stack's own user pool client — chatstack.local.session's
    path. Against AWS the confirmation is an admin call: the worker needs credentials allowed
    `cognito-idp:AdminConfirmSignUp` on the pool, and Cognito's UserCreation rate quota
    (50/s per account by default) paces the ramp."""

    def __init__(self, scenario: Scenario):
        from chatstack.local.session import cognito_client

        self.outputs: dict[str, Any] = {
            "region": scenario.region, "userPoolId": scenario.user_pool_id,
            "userPoolClientId": scenario.user_pool_client_id,
        }
        if scenario.cognito_endpoint:
            self.outputs["cognitoEndpoint"] = scenario.cognito_endpoint
            # Local Cognito's admin actions accept only the stack's own localAdmin credential.
            if scenario.local_admin:
                self.outputs["localAdmin"] = dict(scenario.local_admin)
            if scenario.tls_ca_file:
                self.outputs["tlsCaFile"] = scenario.tls_ca_file
        self.cognito = cognito_client(self.outputs, max_connections=COGNITO_CONCURRENCY)
        # Users past the pool's size wait here rather than open connections it then discards.
        self.slots = BoundedSemaphore(COGNITO_CONCURRENCY)

    def token(self, username: str, _index: int = 0) -> str:
        from chatstack.local.session import sign_up_and_in

        with self.slots:
            return sign_up_and_in(self.outputs, username, cognito=self.cognito)["id"]


class OidcAttendees:
    """OIDC stacks: tokens the local event-platform issuer signs (chatstack.local.oidc), one
    subject per simulated attendee. Needs the issuer's state directory: workers on other
    machines need a copy of it at the same path."""

    def __init__(self, scenario: Scenario):
        from chatstack.local.oidc import local_token_minter

        self.mint = local_token_minter(Path(scenario.oidc_state_dir))
        self.ttl_seconds = 3600 + scenario.users / scenario.spawn_rate + scenario.duration_s

    def token(self, username: str, _index: int = 0) -> str:
        return self.mint(sub=username, name=f"Attendee {username}", ttl_seconds=self.ttl_seconds)


class PlatformAttendees:
    """OIDC stacks rehearsed with tokens the event platform issued (--attendee-tokens): attendee
    number N, counted across every worker, takes line N of the file (each worker reads it)."""

    def __init__(self, scenario: Scenario):
        from chatstack.loadtest.scenario import read_attendee_tokens

        self.tokens = read_attendee_tokens(Path(str(scenario.attendee_tokens_file)))

    def token(self, _username: str, index: int = 0) -> str:
        if index >= len(self.tokens):
            raise ScenarioError(f"--attendee-tokens: attendee {index + 1} has no token (the file holds "
                                f"{len(self.tokens)})")
        return self.tokens[index]


def attendee_tokens(scenario: Scenario) -> Any:
    if scenario.attendee_tokens_file:
        return PlatformAttendees(scenario)
    if scenario.attendee_auth == "cognito":
        return CognitoAttendees(scenario)
    if scenario.attendee_auth == "oidc":
        return OidcAttendees(scenario)
    raise ScenarioError(f"stack {scenario.stack}: no token source for attendeeAuth {scenario.attendee_auth!r}")
