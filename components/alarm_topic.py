"""Where an event's alarms go: one SNS topic per stack, with the email and HTTPS
subscriptions the stack's config names (chatstack:alarmEmails, chatstack:alarmHttpsEndpoints)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.transforms import TransformArgs, apply_transform, check_roles


@dataclass
class AlarmTopicArgs:
    physical_name: str
    tags: dict[str, str]
    emails: list[str] | None = None
    https_endpoints: list[str] | None = None
    transform: TransformArgs | None = None


class AlarmTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    ROLES = {"topic", "subscription"}

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatstack:index:AlarmTopic", name, {}, opts)
        check_roles(args.transform, self.ROLES, "AlarmTopic")
        topic_opts = pulumi.ResourceOptions(parent=self)
        # Not encrypted with the AWS-managed SNS key: CloudWatch alarms cannot publish to a
        # topic under alias/aws/sns (its key policy cannot grant CloudWatch); alarm texts hold
        # no chat content.
        topic_args = apply_transform(args.transform, "topic", {"name": args.physical_name, "tags": args.tags},
                                     topic_opts)
        topic = aws.sns.Topic(f"{name}-topic", **topic_args, opts=topic_opts)
        endpoints = [("email", e) for e in args.emails or []] + [("https", u) for u in args.https_endpoints or []]
        for position, (protocol, endpoint) in enumerate(endpoints):
            sub_opts = pulumi.ResourceOptions(parent=self)
            sub_args = apply_transform(args.transform, "subscription", {
                "topic": topic.arn, "protocol": protocol, "endpoint": endpoint,
                # Email and HTTPS endpoints confirm the subscription themselves (a link / a POST).
                "endpoint_auto_confirms": False,
            }, sub_opts)
            aws.sns.TopicSubscription(f"{name}-{protocol}-{position}", **sub_args, opts=sub_opts)
        self.topic_arn = topic.arn
        self.register_outputs({"topicArn": self.topic_arn})


def notify(topic_arn: pulumi.Input[str] | None) -> dict:
    """Alarm and recovery both reach whoever subscribed to the stack's alarm topic."""
    if topic_arn is None:
        return {}
    return {"alarm_actions": [topic_arn], "ok_actions": [topic_arn]}


def single_metric(namespace: str, metric: str, statistic: str, dimensions: dict, threshold: float = 0) -> dict:
    return {
        "namespace": namespace,
        "metric_name": metric,
        "statistic": statistic,
        "dimensions": dimensions,
        "period": 60,
        "evaluation_periods": 1,
        "threshold": threshold,
        "comparison_operator": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
    }
