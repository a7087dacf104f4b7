"""Local Cognito (and the stack's DynamoDB API): moto's server behind the front Cognito has.

Runs in the moto process (chatstack.local.moto_server), in front of moto's WSGI
application, with moto's backends in reach:

- Cognito's unauthenticated, user-facing actions are served to anyone, as Cognito serves
  them; every other action (the admin API, pool management) and the DynamoDB and DynamoDB
  Streams APIs only to SigV4 requests signed with this stack's `localAdmin` credential.
  Everything else moto would serve (other services, `/moto-api`) is refused.
- Tokens are signed with the stack's own key (`stack_secrets.signing_key`), not the key
  bundled in moto; `/<poolId>/.well-known/jwks.json` serves only that key.
- USER_SRP_AUTH / PASSWORD_VERIFIER are Cognito's SRP, verified (moto accepts any claim and
  names the user by its `sub`); GetTokensFromRefreshToken and RevokeToken exist; the app
  client's ExplicitAuthFlows are enforced with Cognito's error; ConfirmForgotPassword needs
  the code ForgotPassword issued (written to the log: nothing is e-mailed locally).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from appsync_local.server.auth import AuthError
from appsync_local.sigv4 import IamPrincipal, SigV4Verifier, looks_signed
from chatstack.local.cognito_srp import SrpChallenge
from chatstack.local.stack_secrets import SigningKey

log = logging.getLogger("chatstack.local.cognito")

COGNITO_TARGET = "AWSCognitoIdentityProviderService"
# X-Amz-Target prefix -> SigV4 signing name, for the APIs the admin credential may call.
ADMIN_SERVICES = {COGNITO_TARGET: "cognito-idp", "DynamoDB_20120810": "dynamodb",
                  "DynamoDBStreams_20120810": "dynamodb"}
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


def _moto_error(error: Exception) -> CognitoError:
    error_type = getattr(error, "error_type", None) or getattr(error, "code", None) or "InternalErrorException"
    return CognitoError(str(error_type), str(getattr(error, "message", error)))


class LocalCognitoFront:
    """The WSGI application the moto process serves: this front, then moto's app."""

    def __init__(self, moto_app: Callable, key: SigningKey, admin: IamPrincipal, region: str):
        self.moto_app = moto_app
        self.key = key
        self.region = region
        self.verifiers = {name: SigV4Verifier([admin], region, service=name) for name in set(ADMIN_SERVICES.values())}
        self._srp: OrderedDict[str, tuple[SrpChallenge, float]] = OrderedDict()
        self._srp_lock = threading.Lock()
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
            "InitiateAuth": self.initiate_auth,
            "RespondToAuthChallenge": self.respond_to_auth_challenge,
            "GetTokensFromRefreshToken": self.get_tokens_from_refresh_token,
            "RevokeToken": self.revoke_token,
            "ResendConfirmationCode": self.resend_confirmation_code,
            "ConfirmSignUp": self.confirm_sign_up,
            "ForgotPassword": self.forgot_password,
            "ConfirmForgotPassword": self.confirm_forgot_password,
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

    def user(self, pool: Any, username: Any) -> Any:
        user = pool._get_user(str(username or ""))
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        return user

    # -- actions moto lacks or gets wrong --

    def initiate_auth(self, request: dict[str, Any]) -> dict[str, Any] | None:
        pool, client = self.pool_and_client(request.get("ClientId"))
        flow = str(request.get("AuthFlow"))
        self.require_flow(client, flow)
        if flow != "USER_SRP_AUTH":
            return None  # moto's password / refresh / custom flows
        parameters = request.get("AuthParameters") or {}
        backend = self.backend()
        try:  # moto's checks: the user exists, is enabled and confirmed; the secret hash
            started = backend.initiate_auth(client.id, flow, parameters)
        except Exception as error:
            raise _moto_error(error) from error
        backend.sessions.pop(started.get("Session"), None)
        user = self.user(pool, parameters.get("USERNAME"))
        try:
            challenge = SrpChallenge.start(pool.id, user.username, user.password, str(parameters.get("SRP_A")))
        except ValueError as error:
            raise CognitoError("InvalidParameterException", "SRP_A is not a valid SRP value.") from error
        with self._srp_lock:
            self._srp[challenge.secret_block] = (challenge, time.monotonic() + SRP_CHALLENGE_SECONDS)
            while len(self._srp) > MAX_PENDING_SRP:
                self._srp.popitem(last=False)
        # moto's PASSWORD_VERIFIER looks its session up by the secret block.
        backend.sessions[challenge.secret_block] = (user.username, pool)
        return {"ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeParameters": challenge.challenge_parameters(user.username)}

    def respond_to_auth_challenge(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("ChallengeName") != "PASSWORD_VERIFIER":
            return None
        responses = request.get("ChallengeResponses") or {}
        block = str(responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or "")
        with self._srp_lock:
            pending = self._srp.pop(block, None)  # one answer per challenge
        backend = self.backend()
        moto_session = backend.sessions.get(block)
        if pending is None or moto_session is None or pending[1] < time.monotonic():
            backend.sessions.pop(block, None)
            raise CognitoError("NotAuthorizedException", "Invalid session for the user, session is expired.")
        challenge = pending[0]
        if responses.get("USERNAME") != challenge.user_id or not challenge.verify(
            str(responses.get("PASSWORD_CLAIM_SIGNATURE") or ""), str(responses.get("TIMESTAMP") or "")
        ):
            backend.sessions.pop(block, None)
            log.info("SRP sign-in refused for %s: the password claim does not verify", challenge.user_id)
            raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
        return None  # verified: moto issues the tokens (or the next challenge)

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
        user = self.user(pool, request.get("Username"))
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
        pool, _client = self.pool_and_client(request.get("ClientId"))
        user = self.user(pool, request.get("Username"))
        log.info("ResendConfirmationCode for %s: nothing is e-mailed locally; "
                 "ConfirmSignUp or AdminConfirmSignUp (localAdmin) confirms", user.username)
        return {"CodeDeliveryDetails": self.backend()._get_code_delivery_details(
            pool.extended_config.get("AccountRecoverySetting"), user, user.username)}

    def forgot_password(self, request: dict[str, Any]) -> dict[str, Any]:
        self.pool_and_client(request.get("ClientId"))
        try:
            code, details = self.backend().forgot_password(request.get("ClientId"), str(request.get("Username")))
        except Exception as error:
            raise _moto_error(error) from error
        if code:
            log.warning("ForgotPassword for %s: confirmation code %s (nothing is e-mailed locally)",
                        request.get("Username"), code.rsplit(":", 1)[-1])
        return details

    def confirm_forgot_password(self, request: dict[str, Any]) -> dict[str, Any] | None:
        pool, _client = self.pool_and_client(request.get("ClientId"))
        user = self.user(pool, request.get("Username"))
        issued = user.confirmation_code
        code = str(request.get("ConfirmationCode") or "")
        if not issued or code not in (issued, issued.rsplit(":", 1)[-1]):
            raise CognitoError("CodeMismatchException", "Invalid verification code provided, please try again.")
        request["ConfirmationCode"] = issued  # moto checks its own form of the code
        return None

    # -- WSGI --

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if method == "OPTIONS":
            return self._preflight(environ, start_response)
        if method == "GET" and path.endswith("/.well-known/jwks.json"):
            return self._json(start_response, 200, self.key.jwks())
        if method == "GET" and path.endswith("/.well-known/openid-configuration"):
            return self.moto_app(environ, start_response)
        if method != "POST":
            return self._error(start_response, CognitoError("UnknownOperationException", "Unknown operation.", 404))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return self._error(start_response, CognitoError("RequestEntityTooLargeException", "Body too large.", 413))
        body = environ["wsgi.input"].read(length) if length else b""
        service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        try:
            if service == COGNITO_TARGET and action in PUBLIC_ACTIONS:
                handler = self.handlers.get(action)
                if handler is not None:
                    request = json.loads(body or b"{}")
                    answer = handler(request)
                    if answer is not None:
                        return self._json(start_response, 200, answer)
                    body = json.dumps(request).encode()
            elif service in ADMIN_SERVICES:
                self._check_admin(environ, body, ADMIN_SERVICES[service], action)
            else:
                raise CognitoError("UnknownOperationException",
                                   "Only Cognito user pools, DynamoDB and DynamoDB Streams are served here.")
        except CognitoError as error:
            return self._error(start_response, error)
        except ValueError:
            return self._error(start_response, CognitoError("SerializationException", "The body is not JSON."))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.moto_app(environ, start_response)

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
