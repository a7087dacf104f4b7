"""The event's CloudWatch dashboard: the chat (from the archive consumer's embedded metrics),
AppSync (connections, subscriptions, outbound messages, errors), the stream consumers (iterator
age, errors) and DynamoDB (consumed capacity, throttles), on one page. Pure: the body is JSON."""

import json
from typing import Any

from archive_consumer.handler import METRICS_NAMESPACE


def _widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Sum") -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
            "properties": {"title": title, "metrics": metrics, "stat": stat, "period": 60, "view": "timeSeries"}}


def dashboard_body(region: str, event: str, api_id: str, table_name: str, consumers: list[str]) -> str:
    chat = [[METRICS_NAMESPACE, name, "Event", event] for name in ("Messages", "Replies", "ModerationActions")]
    appsync = [["AWS/AppSync", name, "GraphQLAPIId", api_id] for name in (
        "ConnectSuccess", "ActiveConnections", "ActiveSubscriptions", "PublishDataMessageSuccess")]
    errors = [["AWS/AppSync", name, "GraphQLAPIId", api_id] for name in (
        "5XXError", "4XXError", "ConnectServerError", "SubscribeServerError", "PublishDataMessageServerError")]
    consumer_age = [["AWS/Lambda", "IteratorAge", "FunctionName", function] for function in consumers]
    consumer_errors = [["AWS/Lambda", "Errors", "FunctionName", function] for function in consumers]
    table = [["AWS/DynamoDB", name, "TableName", table_name] for name in (
        "ConsumedWriteCapacityUnits", "ConsumedReadCapacityUnits")]
    throttles = [["AWS/DynamoDB", name, "TableName", table_name] for name in ("ThrottledRequests",
                                                                                  "WriteThrottleEvents")]
    widgets = [
        _widget("Chat: messages, replies, moderation per minute", chat, 0, 0),
        _widget("AppSync real-time: connections, subscriptions, outbound", appsync, 12, 0),
        _widget("AppSync errors", errors, 0, 6),
        _widget("Stream consumers: iterator age (ms)", consumer_age, 12, 6, stat="Maximum"),
        _widget("Stream consumers: errors", consumer_errors, 0, 12),
        _widget("DynamoDB: consumed capacity", table, 12, 12),
        _widget("DynamoDB: throttles", throttles, 0, 18),
    ]
    for widget in widgets:
        widget["properties"]["region"] = region
    return json.dumps({"widgets": widgets})


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"
