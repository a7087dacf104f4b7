"""Alarms notify someone: one SNS topic per stack, subscriptions from config, every alarm wired."""

import pytest

from chatstack.config import StackConfigError
from chatstack.offline.evaluation import evaluate_program
from chatstack.project import read_stack_config
from tests.conftest import run_stack
from tests.project import shipped_stacks

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_alarm_of_every_stack_notifies_the_stacks_topic_on_alarm_and_recovery(stack):
    run = run_stack(stack)
    topic = run.one(TOPIC)
    assert topic.inputs["name"] == f"chatstack-{stack}-alarms"
    topic_arn = topic.computed["arn"]
    alarms = run.of_type(ALARM)
    assert alarms  # the API's 5XX alarm exists in every stack
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.inputs["okActions"] == [topic_arn], alarm.name


def test_email_and_https_subscriptions_come_from_config():
    run = run_stack("finals-250k", alarmEmails='["oncall@example.com", "events@example.com"]',
                    alarmHttpsEndpoints='["https://pager.example.com/hooks/chat"]')
    topic_arn = run.one(TOPIC).computed["arn"]
    subscriptions = sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in run.of_type(SUBSCRIPTION))
    assert subscriptions == [("email", "events@example.com"), ("email", "oncall@example.com"),
                             ("https", "https://pager.example.com/hooks/chat")]
    assert all(s.inputs["topic"] == topic_arn for s in run.of_type(SUBSCRIPTION))
    assert run_stack("dev").of_type(SUBSCRIPTION) == []


@pytest.mark.parametrize("key, value, message", [
    ("alarmEmails", '["not-an-address"]', "not an email address"),
    ("alarmHttpsEndpoints", '["http://pager.example.com/hook"]', "not an https URL"),
])
def test_bad_alarm_destinations_fail_before_any_resource_naming_the_key(key, value, message, registered_monitors):
    config = read_stack_config("dev")
    config[f"chatstack:{key}"] = value
    with pytest.raises(StackConfigError, match=f"chatstack:{key}.*{message}"):
        evaluate_program("dev", config=config)
    assert registered_monitors[0].registered == []


def test_the_api_alarms_on_sustained_server_errors(dev):
    [alarm] = [a.inputs for a in dev.of_type(ALARM) if a.inputs.get("metricName") == "5XXError"]
    assert alarm["namespace"] == "AWS/AppSync" and alarm["dimensions"] == {"GraphQLAPIId": dev.outputs["apiId"]}
    assert (alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (5, 3)
