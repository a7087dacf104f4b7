"""AWS_IAM auth for the local endpoint: verify a request's SigV4 signature for real.

The local stack has no IAM, so it knows a set of credentials (access key → secret and
the principal they stand for) and recomputes the signature botocore would make; a
mismatch, an unknown key, a stale date or a wrong scope is rejected as AppSync does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from appsync_local.server.auth import AuthError

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
MAX_SKEW = dt.timedelta(minutes=5)


class SignatureError(AuthError):
    """A SigV4 request AppSync would refuse (HTTP 401, UnauthorizedException)."""


@dataclass(frozen=True)
class IamPrincipal:
    access_key_id: str
    secret_access_key: str
    account_id: str
    user_arn: str

    def as_context(self, source_ip: str = "127.0.0.1") -> dict[str, Any]:
        """AppSync's ctx.identity for AWS_IAM callers."""
        return {
            "accountId": self.account_id,
            "cognitoIdentityPoolId": None,
            "cognitoIdentityId": None,
            "cognitoIdentityAuthType": None,
            "cognitoIdentityAuthProvider": None,
            "sourceIp": [source_ip],
            "userArn": self.user_arn,
            "username": self.access_key_id,
        }


def looks_signed(authorization: str | None) -> bool:
    return bool(authorization) and authorization.startswith("AWS4-HMAC-SHA256 ")


class SigV4Verifier:
    def __init__(self, principals: list[IamPrincipal], region: str, service: str = "appsync", clock=None):
        self._principals = {p.access_key_id: p for p in principals}
        self.region = region
        self.service = service
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def verify(self, method: str, url: str, headers: dict[str, str], body: bytes) -> IamPrincipal:
        lowered = {k.lower(): v for k, v in headers.items()}
        match = _AUTHORIZATION.match(lowered.get("authorization", ""))
        if not match:
            raise SignatureError("Valid authorization header not provided.")
        principal = self._principals.get(match["key"])
        if principal is None:
            raise SignatureError("The security token included in the request is invalid.")
        if match["region"] != self.region or match["service"] != self.service:
            raise SignatureError(f"Credential should be scoped to {self.region}/{self.service}.")
        amz_date = lowered.get("x-amz-date", "")
        try:
            signed_at = dt.datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)
        except ValueError as error:
            raise SignatureError("Missing or malformed X-Amz-Date.") from error
        if abs(self._clock() - signed_at) > MAX_SKEW or not amz_date.startswith(match["date"]):
            raise SignatureError("Signature expired or not yet valid.")
        signed_names = match["signed"].split(";")
        if "host" not in signed_names:
            raise SignatureError("The host header must be signed.")
        missing = [name for name in signed_names if name not in lowered]
        if missing:
            raise SignatureError(f"Signed header {missing[0]} is missing.")
        declared_hash = lowered.get("x-amz-content-sha256")
        if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
            # botocore signs the declared hash instead of hashing the body: check it is the body's.
            raise SignatureError("The provided x-amz-content-sha256 header does not match what was computed.")
        request = AWSRequest(method=method, url=url, data=body,
                             headers={name: lowered[name] for name in signed_names})
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(
            Credentials(principal.access_key_id, principal.secret_access_key), self.service, self.region
        )
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, match["signature"]):
            raise SignatureError(
                "The request signature we calculated does not match the signature you provided."
            )
        return principal


def request_signer(principal: IamPrincipal, region: str, service: str = "appsync"):
    """A remote_sources.Signer that signs as `principal` (what an HTTP data source with AWS_IAM
    authorization does with its service role)."""

    def sign(method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(Credentials(principal.access_key_id, principal.secret_access_key), service, region).add_auth(request)
        return dict(request.headers.items())

    return sign
