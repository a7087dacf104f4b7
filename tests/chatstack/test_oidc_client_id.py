import re

from hypothesis import given
from hypothesis import strategies as st

from chatstack.oidc_client_id import client_id_pattern, literal_client_id
from tests.conftest import run_stack


@given(st.text(min_size=1, max_size=64))
def test_the_pattern_matches_exactly_its_client_id_and_reads_back(client_id):
    pattern = client_id_pattern(client_id)
    assert re.fullmatch(pattern, client_id)
    assert not re.fullmatch(pattern, client_id + "x") and not re.fullmatch(pattern, "x" + client_id)
    assert literal_client_id(pattern) == client_id


def test_a_dot_in_a_client_id_is_not_a_wildcard():
    assert re.fullmatch(client_id_pattern("finals.chat"), "finals.chat")
    assert not re.fullmatch(client_id_pattern("finals.chat"), "finalsXchat")


def test_the_api_registers_the_client_id_escaped_and_anchored():
    run = run_stack("finals-250k", oidcClientId="finals.chat")
    providers = run.one("aws:appsync/graphQLApi:GraphQLApi").inputs["additionalAuthenticationProviders"]
    [oidc] = [p for p in providers if p["authenticationType"] == "OPENID_CONNECT"]
    assert oidc["openidConnectConfig"]["clientId"] == r"^finals\.chat$"
