import datetime as dt
import hashlib

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from appsync_local.sigv4 import IamPrincipal, SignatureError, SigV4Verifier, looks_signed

URL = "http://127.0.0.1:4000/graphql"
BODY = b'{"query":"mutation { publishBatch }"}'
PRINCIPAL = IamPrincipal("AKIALOCAL", "s3cret", "123456789012", "arn:aws:iam::123456789012:role/fanout")


def signed(secret="s3cret", key="AKIALOCAL", region="us-east-1", body=BODY, extra=None):
    headers = {"Content-Type": "application/json", **(extra or {})}
    request = AWSRequest(method="POST", url=URL, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "appsync", region).add_auth(request)
    # what reaches the server: botocore signs `host` from the URL, the HTTP client sends it
    return {**dict(request.headers.items()), "Host": "127.0.0.1:4000"}


def verifier(**kwargs):
    return SigV4Verifier([PRINCIPAL], "us-east-1", **kwargs)


def test_a_botocore_signed_request_verifies():
    headers = signed()
    assert looks_signed(headers["Authorization"])
    assert verifier().verify("POST", URL, headers, BODY) == PRINCIPAL
    assert PRINCIPAL.as_context()["userArn"] == PRINCIPAL.user_arn


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        (signed(secret="wrong"), BODY, "does not match"),
        (signed(), BODY + b" ", "does not match"),  # body tampered after signing
        # body tampered after signing with a declared (signed) payload hash: botocore trusts the header
        (signed(extra={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()}), BODY + b" ", "does not match"),
        (signed(key="AKIAOTHER"), BODY, "security token"),
        (signed(region="eu-west-1"), BODY, "scoped to us-east-1/appsync"),
        ({"Authorization": "Bearer x"}, BODY, "Valid authorization header"),
    ],
)
def test_bad_signatures_are_rejected(headers, body, message):
    with pytest.raises(SignatureError, match=message):
        verifier().verify("POST", URL, headers, body)


def test_a_signed_matching_payload_hash_verifies():
    headers = signed(extra={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert verifier().verify("POST", URL, headers, BODY) == PRINCIPAL


def test_stale_signature_is_rejected():
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    with pytest.raises(SignatureError, match="expired"):
        verifier(clock=lambda: later).verify("POST", URL, signed(), BODY)
