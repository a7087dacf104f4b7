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
from chatstack.local.resources import USER_POOL_CLIENT, user_pool_client_definition
from chatstack.local.session import LOCAL_PASSWORD, admin_client, public_client, sign_up_and_in, srp_sign_in
from tests.conftest import run_stack
from tests.harness import served_stack

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
    # dummy credentials in the environment (the harness sets them) must not be enough for anything
    with served_stack("dev", run=run_stack("dev"), keepalive_seconds=5) as served:
        yield served.local, served.outputs


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


def _forgot_password(stack, username: str) -> tuple:
    """A signed-up user's ForgotPassword: (public client, client id, the code moto.log shows)."""
    _local, outputs = stack
    sign_up_and_in(outputs, username)
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    cognito.forgot_password(ClientId=client_id, Username=username)
    code = re.findall(rf"ForgotPassword for {username}: confirmation code (\d+)", local_log(stack))[-1]
    return cognito, client_id, code


def test_confirm_forgot_password_needs_the_issued_code(stack):
    _local, outputs = stack
    cognito, client_id, code = _forgot_password(stack, "forgetful")
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


# ---- the front's one authority: the operation named by X-Amz-Target ---------------------

def _raw(outputs, target: str, body: dict, query: str = "", path: str = "/",
         headers: dict | None = None) -> tuple[int, dict]:
    """A hand-made request to the Cognito endpoint (what no SDK would send)."""
    request = urllib.request.Request(
        f"{outputs['cognitoEndpoint']}{path}{'?' + query if query else ''}", method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text or b"{}")
        except ValueError:
            return error.code, {"text": text.decode(errors="replace")}


SIGN_UP = "AWSCognitoIdentityProviderService.SignUp"
# moto's dispatcher picks a backend from the Authorization header's credential scope, as
# f"{service}.{region}.amazonaws.com" matched against its URL patterns; the region from User-Agent.
FORGED_SCOPE = ("AWS4-HMAC-SHA256 Credential=AKIAFORGED/20261205/{scope}/aws4_request, "
                "SignedHeaders=host, Signature=" + "0" * 64)
FORGED_SCOPES = {"dynamodb": "ddb.us-east-1/x", "dynamodbstreams": "dynamodb.us-east-1/streams"}


def test_a_public_operations_target_does_not_carry_an_admin_action_in_the_query(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "sneaky")
    pool = outputs["userPoolId"]
    promote = {"UserPoolId": pool, "Username": "sneaky", "GroupName": "moderators"}
    for query in ("Action=AdminAddUserToGroup", "Action=AdminAddUserToGroup&Version=2016-04-18"):
        status, _answer = _raw(outputs, SIGN_UP, promote, query=query)
        assert status >= 400
    status, _answer = _raw(outputs, SIGN_UP, promote, query="Action=AdminAddUserToGroup",
                           headers={"Authorization": FORGED_SCOPE.format(scope="us-east-1/cognito-idp")})
    assert status >= 400
    groups = admin_client(outputs).admin_list_groups_for_user(UserPoolId=pool, Username="sneaky")["Groups"]
    assert groups == []


def test_a_forged_credential_scope_does_not_reach_dynamodb_or_its_streams(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "scoper")
    table = outputs["tableName"]
    attempts = [("dynamodbstreams", "ListStreams", {"TableName": table}),
                ("dynamodbstreams", "DescribeStream", {"StreamArn": "x"}),
                ("dynamodb", "Scan", {"TableName": table}),
                ("dynamodb", "DeleteTable", {"TableName": table})]
    for service, action, body in attempts:
        for target in (SIGN_UP, "DynamoDB_20120810.SignUp"):
            status, answer = _raw(outputs, target, body, query=f"Action={action}",
                                  headers={"Authorization": FORGED_SCOPE.format(scope=FORGED_SCOPES[service]),
                                           "User-Agent": "Boto3/1.40 region/us-east-1"})
            assert status >= 400, (service, action, target, answer)
            assert "Streams" not in answer and "Items" not in answer and "TableDescription" not in answer
    assert admin_client(outputs, "dynamodb").describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_the_admin_credential_signs_only_for_the_service_it_names(stack):
    """localAdmin's own signature, scoped to DynamoDB, does not carry a Cognito admin action."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _local, outputs = stack
    sign_up_and_in(outputs, "misscoped")
    body = json.dumps({"UserPoolId": outputs["userPoolId"], "Username": "misscoped", "GroupName": "moderators"})
    request = AWSRequest(method="POST", url=outputs["cognitoEndpoint"] + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminAddUserToGroup"})
    admin = outputs["localAdmin"]
    SigV4Auth(Credentials(admin["accessKeyId"], admin["secretAccessKey"]), "dynamodb",
              outputs["region"]).add_auth(request)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(request.url, data=body.encode(), method="POST",
                                                      headers=dict(request.headers.items())), timeout=10)
    assert json.loads(refused.value.read())["__type"] == "InvalidSignatureException"
    groups = admin_client(outputs).admin_list_groups_for_user(UserPoolId=outputs["userPoolId"], Username="misscoped")
    assert groups["Groups"] == []


def test_moto_api_is_closed_whatever_the_target(stack):
    _local, outputs = stack
    sign_up_and_in(outputs, "survivor")
    for path in ("/moto-api/reset", "/moto-api/data.json", "/moto-api/", "/moto-api/seed"):
        for target in (SIGN_UP, "AWSCognitoIdentityProviderService.InitiateAuth"):
            status, answer = _raw(outputs, target, {}, path=path)
            assert status >= 400, (path, target, answer)
            assert "cognito-idp" not in json.dumps(answer)  # data.json names every backend
    request = urllib.request.Request(outputs["cognitoEndpoint"] + "/moto-api/data.json/.well-known/jwks.json")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=5)
    assert "IdToken" in srp_sign_in(outputs, "survivor")  # the pool was not reset
    assert admin_client(outputs, "dynamodb").describe_table(TableName=outputs["tableName"])


# ---- challenges: only the one issued, for its own user -----------------------------------

def _srp_start(outputs, username: str) -> tuple[SrpClient, dict]:
    srp = SrpClient(outputs["userPoolId"], LOCAL_PASSWORD)
    started = public_client(outputs).initiate_auth(
        ClientId=outputs["userPoolClientId"], AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": srp.a_hex})
    return srp, started


def test_a_challenge_is_answered_only_as_issued_for_its_own_user(stack):
    """Sessions and SRP secret blocks from InitiateAuth (no password proved) must not answer
    NEW_PASSWORD_REQUIRED, MFA_SETUP, SOFTWARE_TOKEN_MFA or SMS_MFA: each gave moto's tokens
    for the session's user or for the USERNAME named, or reset that user's password."""
    _local, outputs = stack
    sign_up_and_in(outputs, "victim")
    sign_up_and_in(outputs, "mallory")
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    password_session = cognito.initiate_auth(  # dev allows USER_PASSWORD_AUTH: moto keeps its session
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory", "PASSWORD": LOCAL_PASSWORD})
    assert "AuthenticationResult" in password_session
    answers = {
        "NEW_PASSWORD_REQUIRED": {"NEW_PASSWORD": "Taken-over-password-1"},
        "MFA_SETUP": {},
        "SOFTWARE_TOKEN_MFA": {"SOFTWARE_TOKEN_MFA_CODE": "123456"},
        "SMS_MFA": {"SMS_MFA_CODE": "123456"},
    }
    for whose in ("victim", "mallory"):
        for name, responses in answers.items():
            _srp, started = _srp_start(outputs, whose)
            block = started["ChallengeParameters"]["SECRET_BLOCK"]
            for session in (block, started.get("Session") or block):
                code, _message = _error(lambda: cognito.respond_to_auth_challenge(  # noqa: B023
                    ClientId=client_id, ChallengeName=name, Session=session,  # noqa: B023
                    ChallengeResponses={"USERNAME": "victim", **responses}))  # noqa: B023
                assert code == "NotAuthorizedException", (whose, name)
    # an issued PASSWORD_VERIFIER, answered for another user, with a valid proof of one's own
    srp, started = _srp_start(outputs, "mallory")
    answer = srp.answer(started["ChallengeParameters"], TIMESTAMP)
    code, _message = _error(lambda: cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses={**answer, "USERNAME": "victim"}))
    assert code == "NotAuthorizedException"
    assert "IdToken" in srp_sign_in(outputs, "victim")  # the victim's password is unchanged


# ---- Cognito's semantics: user existence, write attributes, code guessing ----------------

def test_prevent_user_existence_errors_hides_who_exists(stack):
    """The stack's client sets PreventUserExistenceErrors ENABLED: an unknown user answers as a
    known one with a wrong password / a code sent somewhere (AWS: cognito-user-pool-managing-errors)."""
    _local, outputs = stack
    sign_up_and_in(outputs, "known")
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    for username in ("known", "nobody-at-all"):
        refused = _error(lambda: cognito.initiate_auth(  # noqa: B023
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "Wrong-password-9"}))  # noqa: B023
        assert refused == ("NotAuthorizedException", "Incorrect username or password."), username
        srp = SrpClient(outputs["userPoolId"], "Wrong-password-9")
        started = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                        AuthParameters={"USERNAME": username, "SRP_A": srp.a_hex})
        assert started["ChallengeName"] == "PASSWORD_VERIFIER"
        assert set(started["ChallengeParameters"]) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
        answer = srp.answer(started["ChallengeParameters"], TIMESTAMP)
        refused = _error(lambda: cognito.respond_to_auth_challenge(  # noqa: B023
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer))  # noqa: B023
        assert refused == ("NotAuthorizedException", "Incorrect username or password."), username
    unconfirmed = "unconfirmed-one"
    cognito.sign_up(ClientId=client_id, Username=unconfirmed, Password=LOCAL_PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "unconfirmed-one@example.com"}])
    delivered = {}
    for username in (unconfirmed, "nobody-at-all"):
        details = cognito.resend_confirmation_code(ClientId=client_id, Username=username)["CodeDeliveryDetails"]
        assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email"
        assert re.fullmatch(r"\w\*\*\*@\w\*\*\*", details["Destination"]), details
        forgot = cognito.forgot_password(ClientId=client_id, Username=username)["CodeDeliveryDetails"]
        assert re.fullmatch(r"\w\*\*\*@\w\*\*\*", forgot["Destination"]), forgot
        delivered[username] = details
        code, _message = _error(lambda: cognito.confirm_forgot_password(  # noqa: B023
            ClientId=client_id, Username=username, ConfirmationCode="000000",  # noqa: B023
            Password="Another-password-3"))
        assert code == "CodeMismatchException", username
    # the same answer twice for the unknown name (a random one each time would tell it apart)
    again = cognito.resend_confirmation_code(ClientId=client_id, Username="nobody-at-all")["CodeDeliveryDetails"]
    assert again == delivered["nobody-at-all"]


def test_attributes_outside_the_clients_write_list_are_refused(stack):
    """The app client may write only `email` and `preferred_username` (chat_user_pool.py):
    `email_verified` (read into the ID token) or `name` must not be set by the user."""
    local, outputs = stack
    cognito = public_client(outputs)
    client_id = outputs["userPoolClientId"]
    for extra in ({"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "Moderator"}):
        refused = _error(lambda: cognito.sign_up(  # noqa: B023
            ClientId=client_id, Username="writer", Password=LOCAL_PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "writer@example.com"}, extra]))  # noqa: B023
        assert refused == ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    tokens = sign_up_and_in(outputs, "writer")
    refused = _error(lambda: cognito.update_user_attributes(
        AccessToken=tokens["access"], UserAttributes=[{"Name": "email_verified", "Value": "true"}]))
    assert refused == ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    cognito.update_user_attributes(AccessToken=tokens["access"],
                                   UserAttributes=[{"Name": "preferred_username", "Value": "Writer"}])
    claims = jwt.decode(srp_sign_in(outputs, "writer")["IdToken"], options={"verify_signature": False})
    assert claims.get("email_verified") in (None, False, "false")
    assert claims["preferred_username"] == "Writer"


def test_repeated_wrong_forgot_password_codes_lock_the_reset(stack):
    """Cognito allows a few wrong codes, then LimitExceededException "Attempt limit exceeded,
    please try after some time." even for the right code: six-digit codes cannot be guessed."""
    _local, outputs = stack
    cognito, client_id, code = _forgot_password(stack, "guessed")
    wrong = "000000" if code != "000000" else "111111"
    attempt = lambda c: _error(lambda: cognito.confirm_forgot_password(  # noqa: E731
        ClientId=client_id, Username="guessed", ConfirmationCode=c, Password="Guessed-password-4"))
    results = [attempt(wrong)[0] for _ in range(6)]
    assert results[:5] == ["CodeMismatchException"] * 5
    assert results[5] == "LimitExceededException"
    assert attempt(code) == ("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    assert "IdToken" in srp_sign_in(outputs, "guessed")  # the password did not change
