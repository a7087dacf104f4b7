"""Local Cognito (and the stack's DynamoDB API): moto's server behind the front Cognito has.

Runs in the moto process (chatstack.local.moto_server), in front of moto's WSGI
application, with moto's backends in reach:

- One authority routes a request: the operation its `X-Amz-Target` names. Cognito's
  unauthenticated, user-facing actions are served to anyone, as Cognito serves them; every
  other action (the admin API, pool management) and the DynamoDB and DynamoDB Streams APIs
  only to SigV4 requests signed with this stack's `localAdmin` credential. moto then sees
  that operation and nothing else: its own routing (by the credential scope, a query's
  `Action`, the path) never runs, so `/moto-api`, other services and smuggled actions are
  unreachable.
- A challenge (RespondToAuthChallenge, a session's MFA set-up) is answered only as issued:
  its name, its client, its user, within its lifetime.
- The app client's PreventUserExistenceErrors and WriteAttributes hold; wrong
  ConfirmForgotPassword codes lock the reset for an hour after five.
- Tokens are signed with the stack's own key (`stack_secrets.signing_key`), not the key
  bundled in moto; `/<poolId>/.well-known/jwks.json` serves only that key.
- USER_SRP_AUTH / PASSWORD_VERIFIER are Cognito's SRP, verified (moto accepts any claim and
  names the user by its `sub`); GetTokensFromRefreshToken and RevokeToken exist; the app
  client's ExplicitAuthFlows are enforced with Cognito's error; ConfirmForgotPassword needs
  the code ForgotPassword issued (written to the log: nothing is e-mailed locally).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appsync_local.server.auth import AuthError
from appsync_local.sigv4 import IamPrincipal, SigV4Verifier, looks_signed
from chatstack.local.cognito_srp import SrpChallenge
from chatstack.local.stack_secrets import SigningKey

log = logging.getLogger("chatstack.local.cognito")

COGNITO_TARGET = "AWSCognitoIdentityProviderService"


@dataclass(frozen=True)
class Service:
    backend: str  # moto's backend (and Flask app)
    signing_name: str  # what localAdmin's SigV4 scope must name
    content_type: str  # the JSON protocol version moto parses


# X-Amz-Target prefix -> the service it names: the only services served here.
SERVICES = {
    COGNITO_TARGET: Service("cognito-idp", "cognito-idp", "application/x-amz-json-1.1"),
    "DynamoDB_20120810": Service("dynamodb", "dynamodb", "application/x-amz-json-1.0"),
    "DynamoDBStreams_20120810": Service("dynamodbstreams", "dynamodb", "application/x-amz-json-1.0"),
}
OPERATION_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{1,63}$")
# A user pool's well-known documents: /<userPoolId>/.well-known/<name>
WELL_KNOWN = re.compile(r"^/[\w-]{1,55}/\.well-known/(jwks\.json|openid-configuration)$")
# Cognito's actions that take no AWS credentials (unauthenticated, or authorized by the
# user's own access token / session).
PUBLIC_ACTIONS = frozenset({
    "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "InitiateAuth", "RespondToAuthChallenge",
    "GetTokensFromRefreshToken", "RevokeToken", "GetUser", "GlobalSignOut", "ForgotPassword",
    "ConfirmForgotPassword", "ChangePassword", "UpdateUserAttributes", "AssociateSoftwareToken",
    "VerifySoftwareToken", "SetUserMFAPreference",
})
# AuthFlow -> the ExplicitAuthFlows values that allow it (ALLOW_* and the legacy names).
FLOW_PERMISSIONS = {
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
}
# What Cognito allows a client created without ExplicitAuthFlows.
DEFAULT_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
SRP_CHALLENGE_SECONDS = 180  # Cognito's sign-in session lifetime
MAX_PENDING_SRP = 10_000
MAX_BODY_BYTES = 1024 * 1024
# Challenges answered with codes (MFA): wrong answers a session takes before it ends.
MAX_CHALLENGE_FAILURES = 5
# "In a given hour, we allow between five and twenty attempts for a user to request or enter a
# password reset code" (AWS, Cognito developer guide, how-to-recover-a-user-account): the low end.
RESET_CODE_FAILURES_PER_HOUR = 5
RESET_CODE_REQUESTS_PER_HOUR = 20
ATTEMPT_LIMIT = "Attempt limit exceeded, please try after some time."
UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"
INCORRECT_CREDENTIALS = "Incorrect username or password."
INVALID_SESSION = "Invalid session for the user."


class CognitoError(Exception):
    """An error answered the AWS JSON way: HTTP 400, `{"__type", "message"}`."""

    def __init__(self, error_type: str, message: str, status: int = 400):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


def use_signing_key(key: SigningKey) -> None:
    """Every token moto issues is re-signed with the stack's key (same claims, our `kid`)."""
    from moto.cognitoidp.models import CognitoIdpUserPool

    moto_create_jwt = CognitoIdpUserPool.create_jwt

    def create_jwt(self: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
        token, expires_in = moto_create_jwt(self, *args, **kwargs)
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return key.sign(claims), expires_in

    CognitoIdpUserPool.create_jwt = create_jwt


@dataclass
class IssuedChallenge:
    """A challenge Cognito (moto) issued: the only answer RespondToAuthChallenge takes."""

    name: str
    username: str
    client_id: str
    expires: float
    failures: int = 0


@dataclass
class PendingSrp:
    challenge: SrpChallenge
    client_id: str
    expires: float
    user_known: bool  # False: the simulated challenge for a name no user has


class AttemptWindow:
    """Per-user attempt times within the last hour (bounded: the oldest users are forgotten)."""

    def __init__(self, limit: int, seconds: float = 3600.0, max_users: int = 10_000):
        self.limit = limit
        self.seconds = seconds
        self.max_users = max_users
        self._times: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, key: str) -> list[float]:
        horizon = time.monotonic() - self.seconds
        times = [t for t in self._times.pop(key, []) if t > horizon]
        self._times[key] = times
        while len(self._times) > self.max_users:
            self._times.popitem(last=False)
        return times

    def exhausted(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def add(self, key: str) -> bool:
        """Counts one attempt; True when that reaches the limit."""
        times = self._recent(key)
        times.append(time.monotonic())
        return len(times) >= self.limit

    def clear(self, key: str) -> None:
        self._times.pop(key, None)


def _moto_error(error: Exception) -> CognitoError:
    error_type = getattr(error, "error_type", None) or getattr(error, "code", None) or "InternalErrorException"
    return CognitoError(str(error_type), str(getattr(error, "message", error)))


class LocalCognitoFront:
    """The WSGI application the moto process serves: this front, then moto's app for the one
    service the request's X-Amz-Target names (`create_app`: moto's create_backend_app)."""

    def __init__(self, create_app: Callable[[str], Callable], key: SigningKey, admin: IamPrincipal, region: str):
        self.apps = {service.backend: create_app(service.backend) for service in SERVICES.values()}
        self.key = key
        self.region = region
        # Keys the simulated answers for unknown users: stable, and not computable from outside.
        self._simulation_key = hashlib.sha256(b"simulated-user:" + admin.secret_access_key.encode()).digest()
        self.verifiers = {name: SigV4Verifier([admin], region, service=name)
                          for name in {service.signing_name for service in SERVICES.values()}}
        self._srp: OrderedDict[str, PendingSrp] = OrderedDict()
        self._challenges: OrderedDict[str, IssuedChallenge] = OrderedDict()
        self._srp_lock = threading.Lock()
        self._reset_failures = AttemptWindow(RESET_CODE_FAILURES_PER_HOUR)
        self._reset_requests = AttemptWindow(RESET_CODE_REQUESTS_PER_HOUR)
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
            "SignUp": self.sign_up,
            "UpdateUserAttributes": self.update_user_attributes,
            "InitiateAuth": self.initiate_auth,
            "RespondToAuthChallenge": self.respond_to_auth_challenge,
            "AssociateSoftwareToken": self.software_token_session,
            "VerifySoftwareToken": self.software_token_session,
            "GetTokensFromRefreshToken": self.get_tokens_from_refresh_token,
            "RevokeToken": self.revoke_token,
            "ResendConfirmationCode": self.resend_confirmation_code,
            "ConfirmSignUp": self.confirm_sign_up,
            "ForgotPassword": self.forgot_password,
            "ConfirmForgotPassword": self.confirm_forgot_password,
        }
        # What moto answered to these, read for the challenges it issued.
        self.observers: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
            "InitiateAuth": self.record_challenge,
            "RespondToAuthChallenge": self.record_challenge,
            "VerifySoftwareToken": self.record_challenge,
        }

    # -- moto's state --

    def backend(self) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        return cognitoidp_backends[DEFAULT_ACCOUNT_ID][self.region]

    def pool_and_client(self, client_id: Any) -> tuple[Any, Any]:
        for pool in self.backend().user_pools.values():
            if client_id in pool.clients:
                return pool, pool.clients[client_id]
        raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")

    @staticmethod
    def require_flow(client: Any, flow: str) -> None:
        allowed = set(client.extended_config.get("ExplicitAuthFlows") or DEFAULT_FLOWS)
        if flow in FLOW_PERMISSIONS and not allowed & FLOW_PERMISSIONS[flow]:
            raise CognitoError("InvalidParameterException", f"{flow} flow not enabled for this client")

    @staticmethod
    def hides_users(client: Any) -> bool:
        return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"

    def user(self, pool: Any, username: Any) -> Any:
        user = pool._get_user(str(username or ""))
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        return user

    def known_user(self, pool: Any, client: Any, username: Any, hidden: CognitoError) -> Any:
        """The user, or `hidden` when there is none and the client hides who exists."""
        user = pool._get_user(str(username or ""))
        if user is None:
            raise hidden if self.hides_users(client) else CognitoError("UserNotFoundException", "User does not exist.")
        return user

    def simulated_delivery(self, pool: Any, username: Any) -> dict[str, str]:
        """What a code "sent" to a user who does not exist looks like: a masked address, the
        same for the same name (a random one each time would tell it apart)."""
        digest = hmac.new(self._simulation_key, f"{pool.id}/{str(username).lower()}".encode(), "sha256").digest()
        letters = "abcdefghijklmnopqrstuvwxyz"
        return {"Destination": f"{letters[digest[0] % 26]}***@{letters[digest[1] % 26]}***",
                "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    @staticmethod
    def check_writable(client: Any, attributes: Any) -> None:
        writable = client.extended_config.get("WriteAttributes")
        names = {str(a.get("Name")) for a in attributes or [] if isinstance(a, dict)}
        if "sub" in names or (writable is not None and not names <= set(writable)):
            raise CognitoError("NotAuthorizedException", UNAUTHORIZED_ATTRIBUTE)

    # -- actions moto lacks or gets wrong --

    def sign_up(self, request: dict[str, Any]) -> None:
        _pool, client = self.pool_and_client(request.get("ClientId"))
        self.check_writable(client, request.get("UserAttributes"))
        return None

    def update_user_attributes(self, request: dict[str, Any]) -> None:
        token = str(request.get("AccessToken") or "")
        for pool in self.backend().user_pools.values():
            issued = pool.access_tokens.get(token)
            if issued is not None and issued[0] in pool.clients:
                self.check_writable(pool.clients[issued[0]], request.get("UserAttributes"))
        return None  # moto checks the token itself

    def initiate_auth(self, request: dict[str, Any]) -> dict[str, Any] | None:
        pool, client = self.pool_and_client(request.get("ClientId"))
        flow = str(request.get("AuthFlow"))
        self.require_flow(client, flow)
        parameters = request.get("AuthParameters") or {}
        if flow == "USER_PASSWORD_AUTH":
            self.known_user(pool, client, parameters.get("USERNAME"),
                            CognitoError("NotAuthorizedException", INCORRECT_CREDENTIALS))
            return None  # moto checks the password
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            issued = pool.refresh_tokens.get(str(parameters.get("REFRESH_TOKEN") or ""))
            if issued is None or issued[0] != client.id:
                raise CognitoError("NotAuthorizedException", "Invalid Refresh Token")
            return None
        if flow != "USER_SRP_AUTH":
            return None  # moto's custom flow
        return self.start_srp(pool, client, parameters)

    def start_srp(self, pool: Any, client: Any, parameters: dict[str, Any]) -> dict[str, Any]:
        from moto.cognitoidp.utils import check_secret_hash

        username = str(parameters.get("USERNAME") or "")
        if client.generate_secret and not check_secret_hash(client.secret, client.id, username,
                                                            parameters.get("SECRET_HASH")):
            raise CognitoError("NotAuthorizedException", "Unable to verify secret hash for client " + client.id)
        user = pool._get_user(username)
        user_known = user is not None
        if not user_known and not self.hides_users(client):
            raise CognitoError("UserNotFoundException", "User does not exist.")
        if user_known and not user.enabled:
            raise CognitoError("NotAuthorizedException", "User is disabled.")
        try:  # an unknown user (hidden) gets a challenge no password answers
            challenge = SrpChallenge.start(pool.id, user.username if user_known else username,
                                           user.password if user_known else secrets.token_urlsafe(24),
                                           str(parameters.get("SRP_A")))
        except ValueError as error:
            raise CognitoError("InvalidParameterException", "SRP_A is not a valid SRP value.") from error
        with self._srp_lock:
            self._srp[challenge.secret_block] = PendingSrp(challenge, client.id,
                                                           time.monotonic() + SRP_CHALLENGE_SECONDS, user_known)
            while len(self._srp) > MAX_PENDING_SRP:
                self._srp.popitem(last=False)
        if user_known:  # moto's PASSWORD_VERIFIER looks its session up by the secret block
            self.backend().sessions[challenge.secret_block] = (user.username, pool)
        return {"ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeParameters": challenge.challenge_parameters(challenge.user_id)}

    def respond_to_auth_challenge(self, request: dict[str, Any]) -> dict[str, Any] | None:
        name = str(request.get("ChallengeName"))
        responses = request.get("ChallengeResponses")
        if not isinstance(responses, dict):
            responses = request["ChallengeResponses"] = {}
        if name == "PASSWORD_VERIFIER":
            return self.verify_srp(request, responses)
        pool, _client = self.pool_and_client(request.get("ClientId"))
        session = str(request.get("Session") or "")
        with self._srp_lock:
            issued = self._challenges.get(session)
            if issued is None or issued.expires < time.monotonic() or issued.name != name \
                    or issued.client_id != request.get("ClientId"):
                raise CognitoError("NotAuthorizedException", INVALID_SESSION)
            named = pool._get_user(str(responses.get("USERNAME") or issued.username))
            if named is None or named.username != issued.username:
                raise CognitoError("NotAuthorizedException", INVALID_SESSION)
            issued.failures += 1  # forgiven when moto accepts the answer (record_challenge)
            if issued.failures > MAX_CHALLENGE_FAILURES:
                self._challenges.pop(session, None)
                raise CognitoError("NotAuthorizedException", INVALID_SESSION)
        responses["USERNAME"] = issued.username  # what moto reads the user from
        return None

    def verify_srp(self, request: dict[str, Any], responses: dict[str, Any]) -> dict[str, Any] | None:
        block = str(responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or "")
        with self._srp_lock:
            pending = self._srp.pop(block, None)  # one answer per challenge
        backend = self.backend()
        if pending is None or pending.expires < time.monotonic() or pending.client_id != request.get("ClientId"):
            backend.sessions.pop(block, None)
            raise CognitoError("NotAuthorizedException", INVALID_SESSION)
        challenge = pending.challenge
        if not pending.user_known or responses.get("USERNAME") != challenge.user_id or not challenge.verify(
            str(responses.get("PASSWORD_CLAIM_SIGNATURE") or ""), str(responses.get("TIMESTAMP") or "")
        ):
            backend.sessions.pop(block, None)
            log.info("SRP sign-in refused for %s: the password claim does not verify", challenge.user_id)
            raise CognitoError("NotAuthorizedException", INCORRECT_CREDENTIALS)
        pool, _client = self.pool_and_client(request.get("ClientId"))
        user = pool._get_user(challenge.user_id)
        if user is not None and str(getattr(user.status, "value", user.status)) == "UNCONFIRMED":
            backend.sessions.pop(block, None)  # told only to whoever knows the password
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        return None  # verified: moto issues the tokens (or the next challenge)

    def software_token_session(self, request: dict[str, Any]) -> None:
        """MFA set-up by session (not by access token): only a session issued for MFA_SETUP."""
        session = request.get("Session")
        if session is None:
            return None
        with self._srp_lock:
            issued = self._challenges.get(str(session))
        if issued is None or issued.name != "MFA_SETUP" or issued.expires < time.monotonic():
            raise CognitoError("NotAuthorizedException", INVALID_SESSION)
        return None

    def record_challenge(self, request: dict[str, Any], answer: dict[str, Any]) -> None:
        """Keeps the challenge moto issued (its session is the only one it may be answered with)."""
        with self._srp_lock:
            previous = self._challenges.pop(str(request.get("Session") or ""), None)
            session, name = answer.get("Session"), answer.get("ChallengeName")
            if "SecretCode" in answer or request.get("AccessToken"):
                return  # AssociateSoftwareToken, or set-up by a signed-in user: no challenge
            if session is None:
                return
            if name is None and previous is not None:  # VerifySoftwareToken: answer MFA_SETUP with it
                name = "MFA_SETUP"
            moto_session = self.backend().sessions.get(session)
            if name is None or moto_session is None:
                return
            username, pool = moto_session
            user = pool._get_user(username)
            client_id = previous.client_id if previous is not None else request.get("ClientId")
            if user is None or client_id is None:
                return
            self._challenges[session] = IssuedChallenge(str(name), user.username, str(client_id),
                                                        time.monotonic() + SRP_CHALLENGE_SECONDS)
            while len(self._challenges) > MAX_PENDING_SRP:
                self._challenges.popitem(last=False)

    def get_tokens_from_refresh_token(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.pool_and_client(request.get("ClientId"))
        self.require_flow(client, "REFRESH_TOKEN_AUTH")
        token = str(request.get("RefreshToken") or "")
        issued = pool.refresh_tokens.get(token)
        if issued is None or issued[0] != client.id:
            raise CognitoError("NotAuthorizedException", "Invalid Refresh Token")
        parameters = {"REFRESH_TOKEN": token}
        if request.get("ClientSecret"):
            parameters["SECRET_HASH"] = request["ClientSecret"]
        try:
            result = self.backend().initiate_auth(client.id, "REFRESH_TOKEN_AUTH", parameters)
        except Exception as error:
            raise _moto_error(error) from error
        return {"AuthenticationResult": result["AuthenticationResult"]}

    def revoke_token(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.pool_and_client(request.get("ClientId"))
        token = str(request.get("Token") or "")
        issued = pool.refresh_tokens.get(token)
        if issued is not None and issued[0] != client.id:
            raise CognitoError("UnauthorizedException", "The token was not issued to this client.")
        pool.refresh_tokens.pop(token, None)
        return {}

    def confirm_sign_up(self, request: dict[str, Any]) -> dict[str, Any]:
        """As Cognito does for a pool that auto-verifies email: confirming with the code e-mailed to
        the address verifies it (moto leaves email_verified unset, so the Authenticator would ask
        for "verified contact information" after the first sign-in)."""
        pool, client = self.pool_and_client(request.get("ClientId"))
        user = self.known_user(pool, client, request.get("Username"), CognitoError(
            "CodeMismatchException", "Invalid verification code provided, please try again."))
        try:
            self.backend().confirm_sign_up(client.id, user.username)
        except Exception as error:
            raise _moto_error(error) from error
        auto_verified = pool.extended_config.get("AutoVerifiedAttributes") or []
        names = {attribute["Name"] for attribute in user.attributes}
        if "email" in auto_verified and "email" in names:
            user.attributes = [a for a in user.attributes if a["Name"] != "email_verified"]
            user.attributes.append({"Name": "email_verified", "Value": "true"})
        return {}

    def resend_confirmation_code(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.pool_and_client(request.get("ClientId"))
        user = pool._get_user(str(request.get("Username") or ""))
        if user is None:
            if not self.hides_users(client):
                raise CognitoError("UserNotFoundException", "User does not exist.")
            return {"CodeDeliveryDetails": self.simulated_delivery(pool, request.get("Username"))}
        log.info("ResendConfirmationCode for %s: nothing is e-mailed locally; "
                 "ConfirmSignUp or AdminConfirmSignUp (localAdmin) confirms", user.username)
        return {"CodeDeliveryDetails": self.backend()._get_code_delivery_details(
            pool.extended_config.get("AccountRecoverySetting"), user, user.username)}

    def forgot_password(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.pool_and_client(request.get("ClientId"))
        username = str(request.get("Username"))
        user = pool._get_user(username)
        attempts_key = f"{pool.id}/{(user.username if user else username).lower()}"
        with self._srp_lock:
            if self._reset_requests.exhausted(attempts_key):
                raise CognitoError("LimitExceededException", ATTEMPT_LIMIT)
            self._reset_requests.add(attempts_key)
        if user is None and self.hides_users(client):
            return {"CodeDeliveryDetails": self.simulated_delivery(pool, username)}
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        try:
            code, details = self.backend().forgot_password(request.get("ClientId"), user.username)
        except Exception as error:
            raise _moto_error(error) from error
        if code:
            log.warning("ForgotPassword for %s: confirmation code %s (nothing is e-mailed locally)",
                        request.get("Username"), code.rsplit(":", 1)[-1])
        return details

    def confirm_forgot_password(self, request: dict[str, Any]) -> dict[str, Any] | None:
        pool, client = self.pool_and_client(request.get("ClientId"))
        mismatch = CognitoError("CodeMismatchException", "Invalid verification code provided, please try again.")
        user = self.known_user(pool, client, request.get("Username"), mismatch)
        attempts_key = f"{pool.id}/{user.username.lower()}"
        with self._srp_lock:
            if self._reset_failures.exhausted(attempts_key):
                raise CognitoError("LimitExceededException", ATTEMPT_LIMIT)
            issued = user.confirmation_code
            code = str(request.get("ConfirmationCode") or "")
            if not issued or code not in (issued, issued.rsplit(":", 1)[-1]):
                if self._reset_failures.add(attempts_key):
                    user.confirmation_code = None  # the code is spent: a new one is needed, later
                    log.warning("ConfirmForgotPassword for %s: %d wrong codes, locked for an hour",
                                user.username, RESET_CODE_FAILURES_PER_HOUR)
                raise mismatch
            self._reset_failures.clear(attempts_key)
        request["ConfirmationCode"] = issued  # moto checks its own form of the code
        return None

    # -- WSGI --

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if method == "OPTIONS":
            return self._preflight(environ, start_response)
        well_known = WELL_KNOWN.match(path) if method == "GET" else None
        if well_known and well_known[1] == "jwks.json":
            return self._json(start_response, 200, self.key.jwks())
        if well_known:
            return self.apps["cognito-idp"](self._only(environ, path, ""), start_response)
        if method != "POST" or path not in ("/", ""):
            return self._error(start_response, CognitoError("UnknownOperationException", "Unknown operation.", 404))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return self._error(start_response, CognitoError("RequestEntityTooLargeException", "Body too large.", 413))
        body = environ["wsgi.input"].read(length) if length else b""
        prefix, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        service = SERVICES.get(prefix)
        observe = None
        try:
            if service is None or not OPERATION_NAME.match(action):
                raise CognitoError("UnknownOperationException",
                                   "Only Cognito user pools, DynamoDB and DynamoDB Streams are served here.")
            public = prefix == COGNITO_TARGET and action in PUBLIC_ACTIONS
            if public:
                environ.pop("HTTP_AUTHORIZATION", None)  # unauthenticated: nothing in it counts
                request = json.loads(body or b"{}")
                if not isinstance(request, dict):
                    raise ValueError("not an object")
                handler = self.handlers.get(action)
                if handler is not None:
                    answer = handler(request)
                    if answer is not None:
                        return self._json(start_response, 200, answer)
                    body = json.dumps(request).encode()
                observer = self.observers.get(action)
                observe = (lambda answer: observer(request, answer)) if observer else None  # noqa: E731
            else:
                self._check_admin(environ, body, service.signing_name, action)
        except CognitoError as error:
            return self._error(start_response, error)
        except (ValueError, RecursionError):
            return self._error(start_response, CognitoError("SerializationException", "The body is not JSON."))
        forwarded = self._only(environ, "/", f"Action={action}", service, body)
        return self._call(self.apps[service.backend], forwarded, start_response, observe)

    def _only(self, environ: dict[str, Any], path: str, query: str, service: Service | None = None,
              body: bytes = b"") -> dict[str, Any]:
        """The request as moto gets it: the operation decided here and nothing moto would route
        or read an operation from (path, query, credential scope, host, moto's own headers)."""
        forwarded = {key: value for key, value in environ.items()
                     if not key.startswith(("HTTP_X_MOTO", "HTTP_X_AMZ_ACCOUNT"))}
        forwarded.update({"PATH_INFO": path, "QUERY_STRING": query, "RAW_URI": path, "REQUEST_URI": path,
                          "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        forwarded.pop("HTTP_USER_AGENT", None)  # moto reads a region from it
        if service is not None:  # the stack's region, whatever the request says
            forwarded["HTTP_HOST"] = f"{service.backend}.{self.region}.amazonaws.com"
            forwarded["CONTENT_TYPE"] = service.content_type
        return forwarded

    @staticmethod
    def _call(app: Callable, environ: dict[str, Any], start_response: Callable,
              observe: Callable[[dict[str, Any]], None] | None) -> Any:
        if observe is None:
            return app(environ, start_response)
        captured: list[Any] = []
        body = b"".join(app(environ, lambda status, headers, exc_info=None: captured.extend((status, headers))))
        status, headers = captured[0], captured[1]
        if str(status).startswith("200"):
            try:
                answer = json.loads(body or b"{}")
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                observe(answer)
        start_response(status, headers)
        return [body]

    def _check_admin(self, environ: dict[str, Any], body: bytes, signing_name: str, action: str) -> None:
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        if not looks_signed(headers.get("authorization")):
            log.warning("refused %s: not signed with the stack's localAdmin credential", action)
            raise CognitoError("MissingAuthenticationTokenException", "Missing Authentication Token")
        query = environ.get("QUERY_STRING")
        url = (f"{environ.get('wsgi.url_scheme', 'http')}://{headers.get('host', '')}"
               f"{urllib.parse.quote(environ.get('PATH_INFO', '/'))}{'?' + query if query else ''}")
        try:
            self.verifiers[signing_name].verify(environ["REQUEST_METHOD"], url, headers, body)
        except AuthError as error:
            log.warning("refused %s: %s", action, error.message)
            unknown_key = error.message.startswith("The security token")
            raise CognitoError("UnrecognizedClientException" if unknown_key else "InvalidSignatureException",
                               error.message) from error

    @staticmethod
    def _cors(environ: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        return [("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date")]

    def _preflight(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").strip()
        start_response("200 OK", [
            *self._cors(),
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers",
             requested or "authorization, content-type, x-amz-target, x-amz-user-agent, x-amz-date, cache-control"),
            ("Access-Control-Max-Age", "86400"),
            ("Content-Length", "0"),
        ])
        return [b""]

    def _json(self, start_response: Callable, status: int, body: dict[str, Any],
              extra: list[tuple[str, str]] | None = None) -> list[bytes]:
        data = json.dumps(body).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"}.get(status, "Error")
        start_response(f"{status} {reason}", [("Content-Type", "application/x-amz-json-1.1"),
                                              ("Content-Length", str(len(data))), *self._cors(), *(extra or [])])
        return [data]

    def _error(self, start_response: Callable, error: CognitoError) -> list[bytes]:
        return self._json(start_response, error.status, {"__type": error.error_type, "message": error.message},
                          [("x-amzn-ErrorType", error.error_type), ("x-amzn-ErrorMessage", error.message)])


def admin_principal(credential: dict[str, str]) -> IamPrincipal:
    from moto.core import DEFAULT_ACCOUNT_ID

    return IamPrincipal(credential["accessKeyId"], credential["secretAccessKey"], DEFAULT_ACCOUNT_ID,
                        f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/localAdmin")
