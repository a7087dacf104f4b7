"""fanOutMode events: the Event API beside the GraphQL API, as the program registers it."""

import json

import pytest

from components.batch_fanout import EVENTS_STREAM_FILTER
from components.chat_events import events_urls
from tests.conftest import run_stack

API = "aws:appsync/api:Api"
NAMESPACE = "aws:appsync/channelNamespace:ChannelNamespace"


@pytest.fixture(scope="module")
def events():
    return run_stack("dev", fanOutMode="events")


def test_per_message_and_batched_stacks_have_no_event_api(dev):
    assert dev.of_type(API) == [] and "eventsUrl" not in dev.outputs
    assert run_stack("dev", fanOutMode="batched").of_type(API) == []


def test_an_events_stack_outputs_the_event_apis_http_and_websocket_endpoints(events):
    api = events.one(API)
    http, realtime = events_urls({"HTTP": f"{api.id}.appsync-api.us-east-1.amazonaws.com",
                                  "REALTIME": f"{api.id}.appsync-realtime-api.us-east-1.amazonaws.com"})
    assert events.outputs["eventsUrl"] == http and http.startswith("https://") and http.endswith("/event")
    assert events.outputs["eventsRealtimeUrl"] == realtime and realtime.endswith("/event/realtime")
    assert events.outputs["fanOutMode"] == "events"


def test_attendees_subscribe_with_their_tokens_and_only_iam_publishes(events):
    config = events.one(API).inputs["eventConfig"]
    providers = {p["authType"] for p in config["authProviders"]}
    assert providers == {"AMAZON_COGNITO_USER_POOLS", "AWS_IAM"}  # no API key: a shared secret in every client
    assert [m["authType"] for m in config["defaultPublishAuthModes"]] == ["AWS_IAM"]
    assert config["logConfig"]["logLevel"] == "ALL" and config["logConfig"]["cloudwatchLogsRoleArn"]  # dev's
    namespace = events.one(NAMESPACE).inputs
    assert namespace["name"] == "rooms"
    assert [m["authType"] for m in namespace["publishAuthModes"]] == ["AWS_IAM"]
    assert [m["authType"] for m in namespace["subscribeAuthModes"]] == ["AMAZON_COGNITO_USER_POOLS"]
    assert "export const onSubscribe" in namespace["codeHandlers"] and "BAN" in namespace["codeHandlers"]
    assert namespace["handlerConfigs"]["onSubscribe"]["integration"]["dataSourceName"] == "chatTable"


def test_oidc_attendees_subscribe_with_the_event_platforms_tokens():
    run = run_stack("dev", fanOutMode="events", attendeeAuth="oidc", oidcIssuer="https://id.example.org",
                    oidcClientId="chat")
    config = run.one(API).inputs["eventConfig"]
    (oidc,) = [p for p in config["authProviders"] if p["authType"] == "OPENID_CONNECT"]
    assert oidc["openidConnectConfig"]["issuer"] == "https://id.example.org"
    assert {m["authType"] for m in run.one(NAMESPACE).inputs["subscribeAuthModes"]} == {
        "AMAZON_COGNITO_USER_POOLS", "OPENID_CONNECT"}


def test_the_handlers_data_source_may_only_read_items_of_this_table(events):
    (policy,) = [json.loads(p.inputs["policy"]) for p in events.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name == "chat-events-table-policy"]
    table_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{events.outputs['tableName']}"
    assert policy["Statement"] == [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [table_arn]}]


def test_the_consumer_publishes_to_the_rooms_namespace_and_reads_moderation_rows(events):
    (policy,) = [json.loads(p.inputs["policy"]) for p in events.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name == "chat-fanout-policy"]
    api_arn = f"arn:aws:appsync:us-east-1:123456789012:apis/{events.one(API).id}"
    graphql_arn = f"arn:aws:appsync:us-east-1:123456789012:apis/{events.outputs['apiId']}"
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in policy["Statement"]}
    assert by_action['"appsync:EventPublish"'] == [f"{api_arn}/channelNamespace/rooms",
                                                    f"{api_arn}/channelNamespace/rooms/*"]
    assert by_action['"appsync:GraphQL"'] == [f"{graphql_arn}/types/Mutation/fields/publishBatch",
                                               f"{graphql_arn}/types/Query/fields/pendingBatch"]
    (function,) = [f for f in events.of_type("aws:lambda/function:Function") if f.name == "chat-fanout-consumer"]
    assert function.inputs["environment"]["variables"]["EVENTS_URL"] == events.outputs["eventsUrl"]
    (mapping,) = [m for m in events.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
                  if m.name.startswith("chat-fanout")]
    assert json.loads(mapping.inputs["filterCriteria"]["filters"][0]["pattern"]) == EVENTS_STREAM_FILTER
