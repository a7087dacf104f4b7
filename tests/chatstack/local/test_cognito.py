"""Local Cognito is the stack's own: its key, its admin credential, Cognito's SRP, refresh and
flow rules (against a served dev stack: moto behind chatstack.local.cognito in its process)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from chatstack.local.cognito_srp import SrpChallenge, SrpClient
from chatstack.local.session import LOCAL_PASSWORD, admin_client, public_client, sign_up_and_in, srp_sign_in
from chatstack.local.stack import USER_POOL_CLIENT, LocalStack, user_pool_client_definition
from tests.appsync_local.server.support import LoopThread, restore_env, set_dummy_aws_env
from tests.conftest import run_stack

POOL = "us-east-1_a1b2c3d4e5"
TIMESTAMP = "Sat Nov 28 7:05:01 UTC 2026"


def _error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


# ---- SRP, both halves ------------------------------------------------------------------

def test_srp_client_and_server_agree_only_on_the_right_password():
    client = SrpClient(POOL, "Right-password-1")
    server = SrpChallenge.start(POOL, "alice", "Right-password-1", client.a_hex)
    answer = client.answer(server.challenge_parameters("alice"), TIMESTAMP)
    assert server.verify(answer["PASSWORD_CLAIM_SIGNATURE"], TIMESTAMP)
    assert not server.verify(answer["PASSWORD_CLAIM_SIGNATURE"], TIMESTAMP.replace("7:05", "7:06"))
    wrong = SrpClient(POOL, "Wrong-password-1")
    other = SrpChallenge.start(POOL, "alice", "Right-password-1", wrong.a_hex)
    guess = wrong.answer(other.challenge_parameters("alice"), TIMESTAMP)
    assert not other.verify(guess["PASSWORD_CLAIM_SIGNATURE"], TIMESTAMP)


def test_srp_refuses_a_zero_a():
    with pytest.raises(ValueError):
        SrpChallenge.start(POOL, "alice", "pw", "0")


# ---- against a served stack -----------------------------------------------------------

@pytest.fixture(scope="module")
def stack():
    previous = set_dummy_aws_env()  # dummy credentials in the environment must not be enough for anything
    loop = LoopThread()
    local = LocalStack("dev", run=run_stack("dev"), keepalive_seconds=5)
    try:
        outputs = loop.run(local.start())
        yield local, outputs
    finally:
        loop.run(local.stop())
        loop.close()
        restore_env(previous)


def _dummy_client(outputs, service="cognito-idp"):
    return boto3.client(service, endpoint_url=outputs["cognitoEndpoint"], region_name=outputs["region"],
                        aws_access_key_id="AKIAANYONE", aws_secret_access_key="anything")


def test_tokens_are_signed_with_the_stacks_key_and_the_jwks_holds_only_it(stack):
    local, outputs = stack
    tokens = sign_up_and_in(outputs, "keyholder")
    kid = local.signing_key.kid
    assert jwt.get_unverified_header(tokens["id"])["kid"] == kid
    with urllib.request.urlopen(f"{outputs['cognitoEndpoint']}/{outputs['userPoolId']}/.well-known/jwks.json") as r:
        served_jwks = json.loads(r.read())
    assert [k["kid"] for k in served_jwks["keys"]] == [kid]  # not moto's "dummy"
    assert served_jwks == local.signing_key.jwks()
    signed = jwt.PyJWKSet.from_dict(served_jwks).keys[0].key
    claims = jwt.decode(tokens["id"], signed, algorithms=["RS256"], audience=outputs["userPoolClientId"])
    assert claims["cognito:username"] == "keyholder"
    assert local.appsync.verify(tokens["access"]).username == "keyholder"


def test_srp_sign_in_names_the_user_and_refuses_a_wrong_password_and_a_replay(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "srpuser")
    cognito = public_client(outputs)
    client = SrpClient(outputs["userPoolId"], LOCAL_PASSWORD)
    started = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_SRP_AUTH",
                                    AuthParameters={"USERNAME": "srpuser", "SRP_A": client.a_hex})
    assert started["ChallengeName"] == "PASSWORD_VERIFIER"
    assert started["ChallengeParameters"]["USER_ID_FOR_SRP"] == "srpuser"  # moto says the sub
    answer = client.answer(started["ChallengeParameters"], TIMESTAMP)
    signed_in = cognito.respond_to_auth_challenge(ClientId=outputs["userPoolClientId"],
                                                  ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    assert jwt.decode(signed_in["AuthenticationResult"]["IdToken"],
                      options={"verify_signature": False})["cognito:username"] == "srpuser"
    replay = _error(lambda: cognito.respond_to_auth_challenge(
        ClientId=outputs["userPoolClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer))
    assert replay[0] == "NotAuthorizedException"
    wrong = _error(lambda: srp_sign_in(outputs, "srpuser", password="Not-the-password-1"))
    assert wrong == ("NotAuthorizedException", "Incorrect username or password.")


def test_refresh_with_get_tokens_from_refresh_token_and_refresh_token_auth_then_revoke(stack):
    local, outputs = stack
    tokens = sign_up_and_in(outputs, "refresher")
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    fresh = cognito.get_tokens_from_refresh_token(RefreshToken=tokens["refresh"], ClientId=client_id)
    result = fresh["AuthenticationResult"]
    assert result["IdToken"] != tokens["id"]
    assert local.appsync.verify(result["IdToken"]).username == "refresher"
    legacy = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                   AuthParameters={"REFRESH_TOKEN": tokens["refresh"]})
    assert local.appsync.verify(legacy["AuthenticationResult"]["AccessToken"]).username == "refresher"
    assert _error(lambda: cognito.get_tokens_from_refresh_token(RefreshToken="not-a-token", ClientId=client_id))[0] \
        == "NotAuthorizedException"
    cognito.revoke_token(Token=tokens["refresh"], ClientId=client_id)
    assert _error(lambda: cognito.get_tokens_from_refresh_token(
        RefreshToken=tokens["refresh"], ClientId=client_id))[0] == "NotAuthorizedException"


def test_a_client_that_does_not_allow_the_password_flow_refuses_it_with_cognitos_error(stack):
    """The production stack's app client (SRP + refresh only), created in this pool from its
    registered definition: USER_PASSWORD_AUTH fails as it would on AWS; the dev client allows it."""
    _local, outputs = stack
    sign_up_and_in(outputs, "flows")
    production_client = user_pool_client_definition(run_stack("finals-250k").one(USER_POOL_CLIENT),
                                                    outputs["userPoolId"])
    assert "ALLOW_USER_PASSWORD_AUTH" not in production_client["ExplicitAuthFlows"]
    client_id = admin_client(outputs).create_user_pool_client(**production_client)["UserPoolClient"]["ClientId"]
    cognito = public_client(outputs)
    password = {"USERNAME": "flows", "PASSWORD": LOCAL_PASSWORD}
    refused = _error(lambda: cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                   AuthParameters=password))
    assert refused == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
    allowed = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters=password)
    assert "IdToken" in allowed["AuthenticationResult"]
    srp = srp_sign_in({**outputs, "userPoolClientId": client_id}, "flows")
    assert "IdToken" in srp


def test_admin_actions_and_dynamodb_need_the_local_admin_credential(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "climber")
    pool = outputs["userPoolId"]
    promote = {"UserPoolId": pool, "Username": "climber", "GroupName": "moderators"}
    assert _error(lambda: _dummy_client(outputs).admin_add_user_to_group(**promote))[0] == \
        "UnrecognizedClientException"
    unsigned = public_client(outputs)  # the user's own, unsigned client
    assert _error(lambda: unsigned.admin_add_user_to_group(**promote))[0] == "MissingAuthenticationTokenException"
    forged = boto3.client("cognito-idp", endpoint_url=outputs["cognitoEndpoint"], region_name=outputs["region"],
                          aws_access_key_id=outputs["localAdmin"]["accessKeyId"],
                          aws_secret_access_key="a-guessed-secret")
    assert _error(lambda: forged.admin_add_user_to_group(**promote))[0] == "InvalidSignatureException"
    assert _error(lambda: _dummy_client(outputs, "dynamodb").scan(TableName=outputs["tableName"]))[0] == \
        "UnrecognizedClientException"
    groups = admin_client(outputs).admin_list_groups_for_user(UserPoolId=pool, Username="climber")["Groups"]
    assert groups == []  # none of the refused calls got through
    admin_client(outputs).admin_add_user_to_group(**promote)
    assert admin_client(outputs, "dynamodb").describe_table(TableName=outputs["tableName"])["Table"]["TableName"] \
        == outputs["tableName"]
    for path, method in (("/moto-api/reset", "POST"), ("/moto-api/data.json", "GET")):
        request = urllib.request.Request(outputs["cognitoEndpoint"] + path, method=method, data=b"" if method == "POST"
                                         else None)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code in (400, 404)
    log = local_log(stack)
    assert "refused AdminAddUserToGroup" in log


def local_log(stack) -> str:
    return stack[0].moto_log.read_text()


def test_confirm_forgot_password_needs_the_issued_code(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "forgetful")
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    cognito.forgot_password(ClientId=client_id, Username="forgetful")
    code = re.findall(r"ForgotPassword for forgetful: confirmation code (\d+)", local_log(stack))[-1]
    new_password = "Another-password-2"
    wrong = _error(lambda: cognito.confirm_forgot_password(ClientId=client_id, Username="forgetful",
                                                          ConfirmationCode="000000", Password=new_password))
    assert wrong[0] == "CodeMismatchException"
    cognito.confirm_forgot_password(ClientId=client_id, Username="forgetful", ConfirmationCode=code,
                                    Password=new_password)
    assert "IdToken" in srp_sign_in(outputs, "forgetful", password=new_password)


def test_browser_preflight_to_cognito_allows_what_amplify_sends(stack):
    _local, outputs = stack
    request = urllib.request.Request(outputs["cognitoEndpoint"] + "/", method="OPTIONS", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "cache-control,content-type,x-amz-target,x-amz-user-agent"})
    with urllib.request.urlopen(request, timeout=5) as response:
        headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    allowed = {h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"x-amz-target", "x-amz-user-agent"} <= allowed


def test_confirming_a_sign_up_with_its_code_verifies_the_email(stack):
    """As on AWS for a pool that auto-verifies email: no "verified contact information" prompt after."""
    _local, outputs = stack
    cognito = public_client(outputs)
    cognito.sign_up(ClientId=outputs["userPoolClientId"], Username="verifyme", Password=LOCAL_PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "verifyme@example.com"}])
    admin = admin_client(outputs)
    attributes = lambda: {a["Name"]: a["Value"] for a in admin.admin_get_user(  # noqa: E731
        UserPoolId=outputs["userPoolId"], Username="verifyme")["UserAttributes"]}
    assert attributes().get("email_verified") != "true"
    cognito.confirm_sign_up(ClientId=outputs["userPoolClientId"], Username="verifyme", ConfirmationCode="123456")
    assert attributes()["email_verified"] == "true"
    assert admin.admin_get_user(UserPoolId=outputs["userPoolId"], Username="verifyme")["UserStatus"] == "CONFIRMED"
