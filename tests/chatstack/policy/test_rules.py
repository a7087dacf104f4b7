"""Every rule of the policy pack: it fires on a minimal bad stack, and the shipped stacks pass it."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import json
from collections.abc import Callable

import pytest

from chatstack.offline.evaluation import ProgramRun, RegisteredResource, evaluate_program
from chatstack.policy.rules import POLICIES, TAGGABLE_TYPES
from chatstack.policy.runner import Violation, check_resources
from tests.conftest import run_stack
from tests.project import shipped_stacks, stack_config
from tests.web_build import built_web_dist

BY_NAME = {p.name: p for p in POLICIES}


def fired(resources: list[RegisteredResource], rule: str) -> list[Violation]:
    return check_resources(resources, [BY_NAME[rule]])


def mutated(run: ProgramRun, type_token: str, edit: Callable[[dict], object], name: str | None = None):
    """A deep copy of the run's resources with `edit(inputs)` applied to each matching resource."""
    resources = copy.deepcopy(run.resources)
    matched = [r for r in resources if r.type == type_token and (name is None or r.name == name)]
    assert matched, f"no {type_token} {name or ''} to mutate"
    for resource in matched:
        edit(resource.inputs)
    return resources


def _policy_doc(run: ProgramRun, statement: dict) -> list[RegisteredResource]:
    def edit(inputs):
        inputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return mutated(run, "aws:iam/rolePolicy:RolePolicy", edit, "chat-graphql-chattable-policy")


def _table_arn(run: ProgramRun) -> str:
    policy = next(r for r in run.resources if r.name == "chat-graphql-chattable-policy")
    return json.loads(policy.inputs["policy"])["Statement"][0]["Resource"][0]


def _dev():
    return run_stack("dev")


def _prod():
    return run_stack("finals-250k")


def _provisioned():
    return run_stack("dev", billingMode="PROVISIONED")


def _batched():
    return run_stack("dev", fanOutMode="batched")


def _events():
    return run_stack("dev", fanOutMode="events")


def _consumer_statement(statement: dict) -> list[RegisteredResource]:
    def edit(inputs):
        document = json.loads(inputs["policy"])
        document["Statement"].append(statement)
        inputs["policy"] = json.dumps(document)
    return mutated(_batched(), "aws:iam/rolePolicy:RolePolicy", edit, "chat-fanout-policy")


# (rule, id, resources factory, resource named in the violation, text in the message)
FIRING: list[tuple[str, str, Callable[[], list[RegisteredResource]], str, str]] = [
    ("fanout-consumer-least-privilege", "table-write",
     lambda: _consumer_statement({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}),
     "chat-fanout-policy", "'dynamodb:putitem', which the stream consumer never needs"),
    ("fanout-consumer-least-privilege", "any-field",
     lambda: _consumer_statement({"Effect": "Allow", "Action": "appsync:GraphQL", "Resource": "arn:aws:appsync:*"}),
     "chat-fanout-policy", "not only publishBatch"),
    ("fanout-consumer-least-privilege", "other-stream",
     lambda: _consumer_statement({"Effect": "Allow", "Action": "dynamodb:GetRecords",
                                  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/other/stream/*"}),
     "chat-fanout-policy", "not this stack's table stream"),
    ("fanout-consumer-delivery", "no-failure-destination",
     lambda: mutated(_batched(), "aws:lambda/eventSourceMapping:EventSourceMapping",
                     lambda i: i.pop("destinationConfig")), "chat-fanout-stream", "on-failure destination"),
    ("fanout-consumer-delivery", "retries-forever",
     lambda: mutated(_batched(), "aws:lambda/eventSourceMapping:EventSourceMapping",
                     lambda i: i.update(maximumRetryAttempts=-1)), "chat-fanout-stream", "retries forever"),
    ("fanout-consumer-delivery", "parallel-pollers",
     lambda: mutated(_batched(), "aws:lambda/eventSourceMapping:EventSourceMapping",
                     lambda i: i.update(parallelizationFactor=4)), "chat-fanout-stream", "out of order"),
    ("alarms-notify", "no-alarm-actions",
     lambda: mutated(_dev(), "aws:cloudwatch/metricAlarm:MetricAlarm", lambda i: i.pop("alarmActions")),
     "chat-graphql-5xx-errors", "notifies nobody"),
    ("alarms-notify", "empty-alarm-actions",
     lambda: mutated(_batched(), "aws:cloudwatch/metricAlarm:MetricAlarm", lambda i: i.update(alarmActions=[]),
                     "chat-fanout-stopped"),
     "chat-fanout-stopped", "notifies nobody"),
    ("fanout-consumer-alarms", "no-iterator-age-alarm",
     lambda: [r for r in _batched().resources if r.name != "chat-fanout-iterator-age"],
     "chat-fanout-consumer", "IteratorAge"),
    ("dynamodb-point-in-time-recovery", "config-pitr-off",
     lambda: run_stack("dev", pointInTimeRecovery="false").resources, "chat-messages-table", "point-in-time"),
    ("dynamodb-server-side-encryption", "sse-disabled",
     lambda: mutated(_dev(), "aws:dynamodb/table:Table", lambda i: i.update(serverSideEncryption={"enabled": False})),
     "chat-messages-table", "serverSideEncryption.enabled = true"),
    ("dynamodb-server-side-encryption", "sse-absent",
     lambda: mutated(_dev(), "aws:dynamodb/table:Table", lambda i: i.pop("serverSideEncryption")),
     "chat-messages-table", "KMS"),
    ("dynamodb-deletion-protection-production", "config-production-unprotected",
     lambda: run_stack("finals-250k", deletionProtection="false").resources, "chat-messages-table", "production"),
    ("dynamodb-ttl", "ttl-absent",
     lambda: mutated(_dev(), "aws:dynamodb/table:Table", lambda i: i.pop("ttl")), "chat-messages-table", "no TTL"),
    ("dynamodb-ttl", "ttl-disabled",
     lambda: mutated(_dev(), "aws:dynamodb/table:Table", lambda i: i.update(ttl={"enabled": False})),
     "chat-messages-table", "expiresAt"),
    ("dynamodb-on-demand-max-throughput", "on-demand-without-max",
     lambda: mutated(_prod(), "aws:dynamodb/table:Table", lambda i: i.pop("onDemandThroughput")),
     "chat-messages-table", "maxReadRequestUnits, maxWriteRequestUnits"),
    ("dynamodb-on-demand-max-throughput", "on-demand-without-write-max",
     lambda: mutated(_prod(), "aws:dynamodb/table:Table",
                     lambda i: i["onDemandThroughput"].pop("maxWriteRequestUnits")),
     "chat-messages-table", "(maxWriteRequestUnits unset)"),
    ("dynamodb-provisioned-autoscaling", "provisioned-gsi-target-missing",
     lambda: [r for r in _provisioned().resources if r.name != "chat-messages-bysender-write-target"],
     "chat-messages-table", "index bySender"),
    ("dynamodb-provisioned-autoscaling", "provisioned-table-target-missing",
     lambda: [r for r in _provisioned().resources if r.name != "chat-messages-read-target"],
     "chat-messages-table", "dynamodb:table:ReadCapacityUnits"),
    ("appsync-default-auth-cognito-production", "transformed-production-api-key",
     lambda: mutated(_prod(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i.update(authenticationType="API_KEY")),
     "chat-graphql-api", "API_KEY"),
    ("appsync-default-auth-cognito-production", "additional-api-key",
     lambda: mutated(_prod(), "aws:appsync/graphQLApi:GraphQLApi",
                     lambda i: i["additionalAuthenticationProviders"].append({"authenticationType": "API_KEY"})),
     "chat-graphql-api", "additional auth provider"),
    ("appsync-js-runtime", "resolver-vtl",
     lambda: mutated(_dev(), "aws:appsync/resolver:Resolver", lambda i: i.pop("runtime"),
                     "chat-graphql-query-getMessages"),
     "chat-graphql-query-getMessages", "VTL"),
    ("appsync-js-runtime", "function-without-code",
     lambda: mutated(_dev(), "aws:appsync/function:Function", lambda i: i.pop("code"), "chat-graphql-fn-putMessage"),
     "chat-graphql-fn-putMessage", "without code"),
    ("appsync-logging-enabled", "config-log-level-none",
     lambda: run_stack("dev", logLevel="NONE").resources, "chat-graphql-api", "fieldLogLevel NONE"),
    ("appsync-logging-enabled", "no-log-config",
     lambda: mutated(_dev(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i.pop("logConfig")),
     "chat-graphql-api", "fieldLogLevel unset"),
    ("appsync-events-logging-enabled", "config-log-level-none",
     lambda: run_stack("dev", fanOutMode="events", logLevel="NONE").resources, "chat-events-api", "logLevel NONE"),
    ("appsync-events-logging-enabled", "no-log-config",
     lambda: mutated(_events(), "aws:appsync/api:Api", lambda i: i["eventConfig"].pop("logConfig")),
     "chat-events-api", "logLevel unset"),
    ("appsync-events-no-api-key", "api-key-provider",
     lambda: mutated(_events(), "aws:appsync/api:Api",
                     lambda i: i["eventConfig"]["authProviders"].append({"authType": "API_KEY"})),
     "chat-events-api", "accepts API_KEY"),
    ("appsync-events-no-api-key", "api-key-subscribers",
     lambda: mutated(_events(), "aws:appsync/channelNamespace:ChannelNamespace",
                     lambda i: i["subscribeAuthModes"].append({"authType": "API_KEY"})),
     "chat-events-rooms", "accepts API_KEY"),
    ("fanout-consumer-least-privilege", "events-publish-anywhere",
     lambda: mutated(_events(), "aws:iam/rolePolicy:RolePolicy",
                     lambda i: i.update(policy=json.dumps({"Version": "2012-10-17", "Statement": [
                         {"Effect": "Allow", "Action": "appsync:EventPublish",
                          "Resource": "arn:aws:appsync:us-east-1:123456789012:apis/*"}]})), "chat-fanout-policy"),
     "chat-fanout-policy", "not only this stack's rooms namespace"),
    ("appsync-events-iam-only-publish", "attendees-publish-by-default",
     lambda: mutated(_events(), "aws:appsync/api:Api",
                     lambda i: i["eventConfig"]["defaultPublishAuthModes"].append(
                         {"authType": "AMAZON_COGNITO_USER_POOLS"})),
     "chat-events-api", "not IAM alone"),
    ("appsync-events-iam-only-publish", "attendees-publish-to-rooms",
     lambda: mutated(_events(), "aws:appsync/channelNamespace:ChannelNamespace",
                     lambda i: i.update(publishAuthModes=[{"authType": "AMAZON_COGNITO_USER_POOLS"}])),
     "chat-events-rooms", "not IAM alone"),
    ("appsync-exclude-verbose-logs-production", "production-verbose",
     lambda: mutated(_prod(), "aws:appsync/graphQLApi:GraphQLApi",
                     lambda i: i["logConfig"].update(excludeVerboseContent=False)),
     "chat-graphql-api", "excludeVerboseContent"),
    ("appsync-introspection-disabled-production", "production-introspection-enabled",
     lambda: mutated(_prod(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i.update(introspectionConfig="ENABLED")),
     "chat-graphql-api", "introspection"),
    ("appsync-introspection-disabled-production", "production-introspection-default",
     lambda: mutated(_prod(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i.pop("introspectionConfig")),
     "chat-graphql-api", "DISABLED"),
    ("appsync-query-depth-limit", "depth-zero-is-unlimited",
     lambda: mutated(_dev(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i.update(queryDepthLimit=0)),
     "chat-graphql-api", "queryDepthLimit 0"),
    ("iam-appsync-datasource-least-privilege", "action-wildcard",
     lambda: _policy_doc(_dev(), {"Effect": "Allow", "Action": "dynamodb:*", "Resource": _table_arn(_dev())}),
     "chat-graphql-chattable-policy", "'dynamodb:*'"),
    ("iam-appsync-datasource-least-privilege", "table-admin-action",
     lambda: _policy_doc(_dev(), {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:DeleteTable"],
                                  "Resource": [_table_arn(_dev())]}),
     "chat-graphql-chattable-policy", "'dynamodb:DeleteTable'"),
    ("iam-appsync-datasource-least-privilege", "resource-star",
     lambda: _policy_doc(_dev(), {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": "*"}),
     "chat-graphql-chattable-policy", "'*'"),
    ("iam-appsync-datasource-least-privilege", "other-table",
     lambda: _policy_doc(_dev(), {"Effect": "Allow", "Action": ["dynamodb:GetItem"],
                                  "Resource": _table_arn(_dev()).replace("chatstack-dev-", "chatstack-finals-250k-")}),
     "chat-graphql-chattable-policy", "not this stack's table"),
    ("iam-appsync-datasource-least-privilege", "not-action",
     lambda: _policy_doc(_dev(), {"Effect": "Allow", "NotAction": "iam:*", "Resource": _table_arn(_dev())}),
     "chat-graphql-chattable-policy", "NotAction"),
    ("appsync-iam-callers-least-privilege", "wildcard-grant",
     lambda: mutated(_dev(), "aws:iam/rolePolicy:RolePolicy",
                     lambda i: i.update(policy=json.dumps({"Version": "2012-10-17", "Statement": [
                         {"Effect": "Allow", "Action": "appsync:GraphQL", "Resource": "arn:aws:appsync:*"}]})),
                     "chat-graphql-roomevents-policy"),
     "chat-graphql-roomevents-policy", "not only named IAM backend fields"),
    ("appsync-iam-callers-least-privilege", "moderation-field-reachable-with-iam",
     lambda: mutated(_dev(), "aws:appsync/graphQLApi:GraphQLApi",
                     lambda i: i.update(schema=i["schema"].replace(
                         "banUser(roomId: ID!, userId: String!, durationSeconds: Int, reason: String): Ban",
                         "banUser(roomId: ID!, userId: String!, durationSeconds: Int, reason: String): Ban @aws_iam"))),
     "chat-graphql-api", "moderation field Mutation.banUser"),
    ("cognito-password-policy", "short-password",
     lambda: mutated(_dev(), "aws:cognito/userPool:UserPool", lambda i: i["passwordPolicy"].update(minimumLength=8)),
     "chat-users-pool", "minimumLength 8"),
    ("cognito-password-policy", "no-numbers",
     lambda: mutated(_dev(), "aws:cognito/userPool:UserPool",
                     lambda i: i["passwordPolicy"].update(requireNumbers=False)),
     "chat-users-pool", "requireNumbers"),
    ("cognito-password-policy", "cognito-default",
     lambda: mutated(_dev(), "aws:cognito/userPool:UserPool", lambda i: i.pop("passwordPolicy")),
     "chat-users-pool", "Cognito default 8"),
    ("cognito-deletion-protection-production", "config-production-unprotected",
     lambda: run_stack("finals-250k", deletionProtection="false").resources, "chat-users-pool", "ACTIVE"),
    ("cognito-self-sign-up-needs-ses-production", "production-self-sign-up-built-in-email",
     lambda: run_stack("finals-250k", attendeeAuth="cognito", participants="40").resources, "chat-users-pool",
     "chatstack:sesEmailIdentityArn"),
    ("cognito-mfa-staff-production", "optional-mfa",
     lambda: mutated(_prod(), "aws:cognito/userPool:UserPool", lambda i: i.update(mfaConfiguration="OPTIONAL")),
     "chat-users-pool", "MFA is OPTIONAL"),
    ("alarm-recipients-production", "no-recipient",
     lambda: run_stack("finals-250k", alarmEmails="[]").resources, "chat-alarms-topic", "has no subscription"),
    ("cognito-client-no-secret", "client-secret",
     lambda: mutated(_dev(), "aws:cognito/userPoolClient:UserPoolClient", lambda i: i.update(generateSecret=True)),
     "chat-users-client", "generateSecret = false"),
    ("cognito-no-password-auth-production", "config-production-password-auth",
     lambda: run_stack("finals-250k", allowPasswordAuth="true").resources, "chat-users-client",
     "ALLOW_USER_PASSWORD_AUTH"),
    ("event-tags", "missing-owner",
     lambda: mutated(_dev(), "aws:cloudwatch/logGroup:LogGroup", lambda i: i["tags"].pop("owner")),
     "chat-graphql-logs", "owner"),
    ("event-tags", "untagged-role",
     lambda: mutated(_dev(), "aws:iam/role:Role", lambda i: i.pop("tags"), "chat-graphql-log-role"),
     "chat-graphql-log-role", "event, environment, owner"),
    ("event-tags", "disagreeing-environment",
     lambda: mutated(_prod(), "aws:iam/role:Role", lambda i: i["tags"].update(environment="development"),
                     "chat-graphql-log-role"),
     "(stack)", "disagree on the 'environment' tag"),
    ("one-table-api-user-pool", "two-tables",
     lambda: _prod().resources + [dataclasses.replace(_prod().one("aws:dynamodb/table:Table"), urn="urn:x::t2",
                                                      name="second-table")],
     "(stack)", "has 2 (chat-messages-table, second-table)"),
    ("one-table-api-user-pool", "no-user-pool",
     lambda: [r for r in _prod().resources if r.type != "aws:cognito/userPool:UserPool"], "(stack)", "has 0 (none)"),
]



# ------------------------------------------------------------------ the web client (ChatWebApp)

WEB_DOMAIN = {"webAppDomain": "chat.example.com",
              "webAppCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"}


def _web(stack: str = "dev", **overrides: str) -> ProgramRun:
    built_web_dist()  # ChatWebApp uploads the real build
    return run_stack(stack, webApp="true", **overrides)


def _web_on_cloudfronts_domain(stack: str) -> ProgramRun:
    """The stack's web client without its own domain (CloudFront's *.cloudfront.net certificate)."""
    built_web_dist()
    config = {k: v for k, v in stack_config(stack).items()
              if k not in ("chatstack:webAppDomain", "chatstack:webAppCertificateArn")}
    return evaluate_program(stack, config={**config, "chatstack:webApp": "true"})


def _web_mutated(type_token: str, edit: Callable[[dict], object]) -> list[RegisteredResource]:
    return mutated(_web(), type_token, edit)


def _without(type_token: str) -> list[RegisteredResource]:
    return [r for r in _web().resources if r.type != type_token]


def _web_bucket_policy(edit: Callable[[dict], object]) -> list[RegisteredResource]:
    def change(inputs):
        document = json.loads(inputs["policy"])
        edit(document["Statement"][0])
        inputs["policy"] = json.dumps(document)
    return _web_mutated("aws:s3/bucketPolicy:BucketPolicy", change)


def _csp(edit: Callable[[str], str]) -> list[RegisteredResource]:
    def change(inputs):
        csp = inputs["securityHeadersConfig"]["contentSecurityPolicy"]
        csp["contentSecurityPolicy"] = edit(csp["contentSecurityPolicy"])
    return _web_mutated("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", change)


FIRING += [
    ("s3-bucket-not-public", "no-access-block",
     lambda: _without("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
     "chat-web-site", "has no public access block"),
    ("s3-bucket-not-public", "policy-allowed",
     lambda: _web_mutated("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                          lambda i: i.update(blockPublicPolicy=False)),
     "chat-web-site", "does not block public access (blockPublicPolicy)"),
    ("s3-bucket-not-public", "public-read-policy",
     lambda: _web_bucket_policy(lambda statement: (statement.update(Principal="*"), statement.pop("Condition"))),
     "chat-web-site-policy", "allows everyone"),
    ("archive-retention", "kept-forever",
     lambda: mutated(run_stack("dev"), "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                     lambda i: i["rules"][0].pop("expiration")),
     "chat-archive-bucket", "no enabled lifecycle rule expiring objects"),
    ("fanout-consumer-least-privilege", "archive-writes-anywhere",
     lambda: mutated(run_stack("dev"), "aws:iam/rolePolicy:RolePolicy", lambda i: i.update(policy=json.dumps({
         "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                                 "Resource": "arn:aws:s3:::*"}]})), "chat-archive-policy"),
     "chat-archive-policy", "not only this stack's archive"),
    ("s3-bucket-encrypted", "no-encryption",
     lambda: _without("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
     "chat-web-site", "no default server-side encryption"),
    ("cloudfront-origin-access-control", "no-oac",
     lambda: _web_mutated("aws:cloudfront/distribution:Distribution",
                          lambda i: i["origins"][0].pop("originAccessControlId")),
     "chat-web-cdn", "no origin access control"),
    ("cloudfront-origin-access-control", "any-distribution-reads",
     lambda: _web_bucket_policy(lambda statement: statement.pop("Condition")),
     "chat-web-site-policy", "without naming this stack's distribution"),
    ("cloudfront-https-only", "plain-http",
     lambda: _web_mutated("aws:cloudfront/distribution:Distribution",
                          lambda i: i["defaultCacheBehavior"].update(viewerProtocolPolicy="allow-all")),
     "chat-web-cdn", "over plain HTTP"),
    ("cloudfront-tls-1-2-production", "cloudfront-certificate",
     lambda: _web_on_cloudfronts_domain("finals-250k").resources, "chat-web-cdn", "fixes the security policy at TLSv1"),
    ("cloudfront-tls-1-2-production", "old-policy",
     lambda: mutated(_web("finals-250k", **WEB_DOMAIN), "aws:cloudfront/distribution:Distribution",
                     lambda i: i["viewerCertificate"].update(minimumProtocolVersion="TLSv1.1_2016")),
     "chat-web-cdn", "allows TLSv1.1_2016"),
    ("cloudfront-security-headers", "no-headers-policy",
     lambda: _web_mutated("aws:cloudfront/distribution:Distribution",
                          lambda i: i["defaultCacheBehavior"].pop("responseHeadersPolicyId")),
     "chat-web-cdn", "without a response headers policy"),
    ("cloudfront-security-headers", "no-csp",
     lambda: _web_mutated("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
                          lambda i: i["securityHeadersConfig"].pop("contentSecurityPolicy")),
     "chat-web-headers", "sends no Content-Security-Policy"),
    ("cloudfront-security-headers", "connect-anywhere",
     lambda: _csp(lambda csp: csp.replace("connect-src 'self'", "connect-src 'self' https:")),
     "chat-web-headers", "lets the page connect anywhere"),
    ("cloudfront-security-headers", "another-api",
     lambda: _csp(lambda csp: csp.replace("connect-src 'self'",
                                          "connect-src 'self' https://other.appsync-api.us-east-1.amazonaws.com/graphql")),
     "chat-web-headers", "this stack's AppSync and Cognito endpoints are"),
    ("cloudfront-security-headers", "unsafe-inline-scripts",
     lambda: _csp(lambda csp: csp.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")),
     "chat-web-headers", "allows scripts from"),
]

@pytest.mark.parametrize(("rule", "case", "resources", "resource", "text"), FIRING,
                         ids=[f"{r}:{c}" for r, c, *_ in FIRING])
def test_rule_fires_on_a_minimal_bad_stack(rule, case, resources, resource, text):
    violations = fired(resources(), rule)
    assert violations, f"{rule} did not fire ({case})"
    matching = [v for v in violations if v.resource == resource and text in v.message]
    assert matching, [dataclasses.astuple(v) for v in violations]
    assert all(v.level == BY_NAME[rule].enforcement_level.value for v in violations)
    if resource != "(stack)":
        assert f"'{resource}'" in matching[0].message  # the message names the resource ...
    assert "Fix:" in matching[0].message  # ... and the fix


def test_every_rule_has_a_firing_case():
    assert {rule for rule, *_ in FIRING} == set(BY_NAME)


@pytest.mark.parametrize("stack", shipped_stacks())
@pytest.mark.parametrize("rule", sorted(BY_NAME))
def test_shipped_stacks_pass_every_rule(stack, rule):
    assert fired(run_stack(stack).resources, rule) == []


# ------------------------------------------------------------------ what relaxes a rule


def test_development_may_use_api_key_password_auth_and_no_deletion_protection():
    run = run_stack("dev", allowPasswordAuth="true", deletionProtection="false")
    # API_KEY is not a config option; a transform could still add it
    resources = mutated(run, "aws:appsync/graphQLApi:GraphQLApi",
                        lambda i: i.update(authenticationType="API_KEY"))
    for rule in ("appsync-default-auth-cognito-production", "cognito-no-password-auth-production",
                 "dynamodb-deletion-protection-production", "cognito-deletion-protection-production"):
        assert fired(resources, rule) == [], rule


def test_a_missing_environment_tag_counts_as_production():
    resources = mutated(_dev(), "aws:appsync/graphQLApi:GraphQLApi", lambda i: i["tags"].pop("environment"))
    assert fired(resources, "appsync-introspection-disabled-production")
    assert fired(resources, "event-tags")


def test_app_client_takes_its_environment_from_the_user_pool_it_depends_on():
    # Production pool, everything else tagged development: the client still counts as production.
    def to_dev(inputs):
        inputs["tags"]["environment"] = "development"

    resources = copy.deepcopy(run_stack("finals-250k", allowPasswordAuth="true").resources)
    for resource in resources:
        if "tags" in resource.inputs and resource.type != "aws:cognito/userPool:UserPool":
            to_dev(resource.inputs)
    assert fired(resources, "cognito-no-password-auth-production")


def test_on_demand_max_throughput_passes_when_set():
    resources = mutated(_prod(), "aws:dynamodb/table:Table", lambda i: i.update(
        onDemandThroughput={"maxReadRequestUnits": 40000, "maxWriteRequestUnits": 10000}))
    assert fired(resources, "dynamodb-on-demand-max-throughput") == []


def test_provisioned_table_with_scaling_and_no_index_passes():
    resources = mutated(_provisioned(), "aws:dynamodb/table:Table",
                        lambda i: i.pop("globalSecondaryIndexes"))
    assert fired(resources, "dynamodb-provisioned-autoscaling") == []


def test_iam_rule_accepts_named_indexes_and_deny_statements():
    arn = _table_arn(_dev())
    resources = _policy_doc(_dev(), {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                                     "Resource": [arn, f"{arn}/index/bySender"]})
    assert fired(resources, "iam-appsync-datasource-least-privilege") == []
    resources = _policy_doc(_dev(), {"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert fired(resources, "iam-appsync-datasource-least-privilege") == []


def test_iam_rule_reports_managed_policy_attachment_on_the_datasource_role():
    run = _dev()
    role = next(r for r in run.resources if r.name == "chat-graphql-chattable-role")
    role_name = next(r for r in run.resources if r.name == "chat-graphql-chattable-policy").inputs["role"]
    attachment = dataclasses.replace(role, type="aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                     name="full-access", urn="urn:x::full-access",
                                     inputs={"role": role_name,
                                             "policyArn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"})
    violations = fired(run.resources + [attachment], "iam-appsync-datasource-least-privilege")
    assert [v.resource for v in violations] == ["full-access"]
    assert "AmazonDynamoDBFullAccess" in violations[0].message


def test_log_role_policy_is_not_a_datasource_policy():
    # The logs role allows logs:* actions on its log group; it is not subject to the DynamoDB rule.
    assert fired(_dev().resources, "iam-appsync-datasource-least-privilege") == []
    assert any("logs:PutLogEvents" in r.inputs.get("policy", "") for r in _dev().resources)


# ------------------------------------------------------------------ the taggable-type list


def _takes_tags(type_token: str) -> bool:
    _, module_path, class_name = type_token.split(":")
    module_name = module_path.split("/")[0]
    module = importlib.import_module(f"pulumi_aws.{module_name}{'_' if module_name == 'lambda' else ''}")
    return "tags" in inspect.signature(getattr(module, class_name)._internal_init).parameters


def test_taggable_types_take_tags_according_to_pulumi_aws():
    assert all(_takes_tags(t) for t in TAGGABLE_TYPES), [t for t in TAGGABLE_TYPES if not _takes_tags(t)]


@pytest.mark.parametrize("overrides", [{}, {"billingMode": "PROVISIONED"}, {"fanOutMode": "batched"}])
def test_every_taggable_type_a_stack_registers_is_known(overrides):
    for stack in shipped_stacks():
        for t in {r.type for r in run_stack(stack, **overrides).resources if r.type.startswith("aws:")}:
            assert _takes_tags(t) == (t in TAGGABLE_TYPES), t


@pytest.mark.parametrize("setting", [
    {"sesEmailIdentityArn": "arn:aws:ses:us-east-1:123456789012:identity/chat.example.com"},
    {"selfSignUp": "false"},
])
def test_a_production_pool_with_self_sign_up_passes_with_ses_or_admin_created_users(setting):
    run = run_stack("finals-250k", attendeeAuth="cognito", participants="40", **setting)
    assert fired(run.resources, "cognito-self-sign-up-needs-ses-production") == []


@pytest.mark.parametrize(("stack", "overrides"), [("dev", {}), ("finals-250k", WEB_DOMAIN),
                                                  ("finals-250k", {**WEB_DOMAIN, "fanOutMode": "batched"}),
                                                  ("finals-250k", {**WEB_DOMAIN, "fanOutMode": "events"}),
                                                  ("dev", {"fanOutMode": "events"})])
def test_stacks_with_the_web_client_pass_every_rule(stack, overrides):
    violations = check_resources(_web(stack, **overrides).resources, POLICIES)
    assert violations == [], [dataclasses.astuple(v) for v in violations]


def test_development_web_client_may_use_the_cloudfront_certificate():
    assert fired(_web("dev").resources, "cloudfront-tls-1-2-production") == []
    assert fired(_web_on_cloudfronts_domain("finals-250k").resources, "cloudfront-tls-1-2-production")


def test_an_oidc_web_client_may_connect_to_its_issuer_and_only_that():
    """Attendees sign in at the event platform from the page: its issuer's origin joins connect-src."""
    run = _web(attendeeAuth="oidc", oidcIssuer="https://login.events.example.com/tenant")
    headers = run.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs
    csp = headers["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert " https://login.events.example.com " in f"{csp} ".replace(";", " ")
    assert fired(run.resources, "cloudfront-security-headers") == []
    other = mutated(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", lambda i: i[
        "securityHeadersConfig"]["contentSecurityPolicy"].update(contentSecurityPolicy=csp.replace(
            "https://login.events.example.com", "https://evil.example.com")))
    assert fired(other, "cloudfront-security-headers")
