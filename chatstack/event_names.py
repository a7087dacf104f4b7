"""Event (stack) names and the physical names derived from them.

Every physical name that contains the event is listed in NAME_FORMS; `check_event_name`
refuses, before any resource is registered, an event name for which one of them would
break its AWS limit (chatstack.aws_name_limits), naming that limit. The deploy check
(tests/components/test_deploy_names.py) proves the list covers what the program registers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatstack.aws_name_limits import input_named, limits, max_length
from chatstack.config import StackConfigError

# Letters, digits, '-' and '_', starting with a letter or digit: the characters every name
# below accepts ('.' is not valid in Lambda function or SQS queue names).
EVENT_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
EVENT_NAME_RULE = "letters, digits, '-' and '_', starting with a letter or digit"
EVENT = "{event}"


@dataclass(frozen=True)
class NameForm:
    resource_type: str
    form: str  # "{stem}" = f"{project}-{event}"
    prop: str = "name"

    def render(self, project: str, event: str) -> str:
        return self.form.format(stem=stem(project, event))


# Every physical name (not prefix: those are shortened to fit, see role_name_prefix) that
# contains the event, as the components build it with physical_name().
NAME_FORMS: tuple[NameForm, ...] = (
    NameForm("aws:cognito/userPool:UserPool", "{stem}-users"),
    NameForm("aws:cognito/userPoolClient:UserPoolClient", "{stem}-users-web"),
    NameForm("aws:dynamodb/table:Table", "{stem}-messages"),
    NameForm("aws:appsync/graphQLApi:GraphQLApi", "{stem}-api"),
    NameForm("aws:lambda/function:Function", "{stem}-fanout"),
    NameForm("aws:sqs/queue:Queue", "{stem}-fanout-failed"),
    NameForm("aws:cloudwatch/logGroup:LogGroup", "/aws/lambda/{stem}-fanout"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-fanout-iterator-age"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-fanout-errors"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-fanout-failed-records"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-fanout-stopped"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-api-5xx-errors"),
    *(NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", f"{{stem}}-api-{suffix}") for suffix in (
        "connect-server-errors", "subscribe-server-errors", "publish-errors", "connect-client-errors",
        "subscribe-client-errors")),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-messages-throttles"),
    NameForm("aws:sns/topic:Topic", "{stem}-alarms"),
    NameForm("aws:lambda/function:Function", "{stem}-archive"),
    NameForm("aws:sqs/queue:Queue", "{stem}-archive-failed"),
    NameForm("aws:cloudwatch/logGroup:LogGroup", "/aws/lambda/{stem}-archive"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-archive-iterator-age"),
    NameForm("aws:cloudwatch/metricAlarm:MetricAlarm", "{stem}-archive-errors"),
    *(NameForm("aws:athena/namedQuery:NamedQuery", f"{{stem}}-archive-{query}")
      for query in ("messages-per-minute", "top-rooms", "moderation")),
    NameForm("aws:cloudwatch/dashboard:Dashboard", "{stem}", prop="dashboardName"),
)


def stem(project: str, event: str) -> str:
    return f"{project}-{event}"


def physical_name(project: str, event: str, suffix: str) -> str:
    """Stack-unique physical names: two events never collide, and names say whose they are."""
    return f"{stem(project, event)}-{suffix}"


# S3 bucket names: 3-63 of [a-z0-9.-]; the provider appends 26 characters to a bucket_prefix.
BUCKET_PREFIX_MAX = 63 - 26


def bucket_prefix(stem: str, part: str) -> str:
    """`<stem>-<part>-` as an S3 bucket name prefix: lower case, [a-z0-9-], short enough for the provider."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-") or "chat"
    return f"{cleaned[: BUCKET_PREFIX_MAX - len(f'-{part}-')].rstrip('-')}-{part}-"


def role_name_prefix(name: str, role: str) -> str:
    """An IAM role name prefix `<name>-<role>-` shortened (from `name`) to fit the provider's limit.

    The generated suffix keeps shortened prefixes unique; the role's tags name the event.
    """
    limit = max_length(input_named("aws:iam/role:Role", "namePrefix"))
    assert limit is not None
    room = limit - len(role) - 2
    if room < 1:
        raise ValueError(f"role {role!r} leaves no room for a name in a {limit}-character prefix")
    return f"{name[:room].rstrip('-_')}-{role}-"


def max_event_length(project: str) -> tuple[int, str]:
    """The longest event name whose every physical name fits, and which name sets the limit."""
    best: tuple[int, str] | None = None
    for form in NAME_FORMS:
        named = input_named(form.resource_type, form.prop)
        limit = max_length(named)
        if limit is None:
            continue
        fixed = len(form.render(project, ""))
        room = limit - fixed
        source = next(x.source for x in limits(named.service, named.operation, named.member) if x.max is not None
                      and x.max == limit)
        reason = f"{form.render(project, '<event>')} must fit {source}: at most {limit} characters"
        if best is None or room < best[0]:
            best = (room, reason)
    assert best is not None
    return best


def check_event_name(project: str, event: str) -> None:
    """StackConfigError (before any resource) if a physical name built from `event` would break an AWS limit."""
    if not EVENT_NAME_PATTERN.fullmatch(event):
        raise StackConfigError(
            f"stack name {event!r} cannot name AWS resources: use {EVENT_NAME_RULE} "
            f"(e.g. {re.sub(r'[^A-Za-z0-9_-]+', '-', event).strip('-_') or 'my-event'!r})"
        )
    longest, reason = max_event_length(project)
    if len(event) > longest:
        raise StackConfigError(
            f"stack name {event!r} is {len(event)} characters; at most {longest} fit in project {project!r}, "
            f"because {reason}"
        )
