"""AWS quotas and prices the capacity planner uses: data only, each with its source and date.

One place for every number `chatstack.planning.planner` compares against or multiplies by. A stack
overrides any of them with `chatstack:quotaOverrides` / `chatstack:priceOverrides` (JSON
objects keyed by the keys below), e.g. after AWS granted an increase or a price changed.
No Pulumi imports.

Quota `ceiling`: how far we plan on an adjustable quota being raised. AWS documents the
real-time rates as adjustable but states no maximum. Our assumption (chatstack, 2026-11,
not an AWS figure): a Service Quotas request or support case can plausibly get up to 20x
the default for one API; a plan needing more is "impossible" for one AppSync API and must
change its design (batched fan-out, fewer participants per API, sharding). Override a
ceiling per stack once AWS has confirmed more.
"""

from __future__ import annotations

from dataclasses import dataclass

APPSYNC_QUOTAS_SOURCE = (
    "AWS General Reference, 'AWS AppSync endpoints and quotas' (docs.aws.amazon.com/general/latest/gr/appsync.html)"
)
APPSYNC_PRICING_SOURCE = "aws.amazon.com/appsync/pricing"
QUOTA_CODE_SOURCE = (
    "Service Quotas listing for service code appsync as exported in gruntwork-io/terraform-aws-utilities "
    "docs/quotas.md (read 2026-11)"
)
# The real-time rate codes, checked 2026-11-28. AWS's own pages (General Reference 'AWS AppSync
# endpoints and quotas', searched in AWS documentation that day) list these quotas' names and
# defaults but no codes; the codes appear in an export of the Service Quotas catalog for service
# code appsync (public repository content, an audit of ListServiceQuotas output, read 2026-11-28):
# L-C01DB6E6 "GraphQL APIs - Rate of connections per API", L-A1B022A0 "... Rate of inbound
# messages per API", L-5DE70651 "... Rate of outbound messages per API". The same export lists
# L-FC5E46D0 and L-AA33EB36 exactly as the listing above does. If AWS renumbers, a stack
# overrides the code with chatstack:quotaOverrides.<key>.quotaCode.
REALTIME_QUOTA_CODE_SOURCE = (
    "Service Quotas catalog export for service code appsync (quota names 'GraphQL APIs - Rate of connections / "
    "inbound messages / outbound messages per API'), read 2026-11-28; AWS General Reference lists names and "
    "defaults only"
)
# Cognito user pools on the join path, checked 2026-11-28. AWS's current page (Amazon Cognito
# Developer Guide, 'Quotas in Amazon Cognito', docs.aws.amazon.com/cognito/latest/developerguide/
# quotas.html, searched in AWS documentation that day) states the categories are per account and
# region and that UserCreation (SignUp, ConfirmSignUp, AdminCreateUser, AdminConfirmSignUp) has a
# combined 50 RPS, adjustable (increases can be purchased in Service Quotas). The per-category table
# (UserAuthentication 120 RPS adjustable: InitiateAuth and AdminInitiateAuth count, the matching
# RespondToAuthChallenge calls have a separate 3x quota; UserCreation 50; UserFederation 25) and the
# built-in email sender's "maximum number of email messages sent daily per AWS account: 50" (only
# without SES, not adjustable) were read in the same guide's source, awsdocs/amazon-cognito-developer-
# guide doc_source/limits.md (commit 0b4d5467), on 2026-11-28. No Service Quotas codes confirmed.
COGNITO_QUOTAS_SOURCE = (
    "Amazon Cognito Developer Guide, 'Quotas in Amazon Cognito' (docs.aws.amazon.com/cognito/latest/"
    "developerguide/quotas.html; table values from awsdocs/amazon-cognito-developer-guide doc_source/limits.md "
    "@0b4d5467), read 2026-11-28"
)
COGNITO_AS_OF = "2026-11-28"
# AppSync Events (Event API). Prices: AWS's price list for AWSAppSync ('$1 per million Event API
# operations', usage type *-EventAPI-Operation, effective 2024-09-01, e.g. eu-west-1 SKU
# 2A2DYQVGM9T495WG, read 2026-12-05) and aws.amazon.com/appsync/pricing (AppSync Events).
EVENTS_PRICING_SOURCE = ("aws.amazon.com/appsync/pricing (AppSync Events); AWS price list AWSAppSync "
                         "'$1 per million Event API operations' (effective 2024-09-01), read 2026-12-05")
EVENTS_PRICING_AS_OF = "2026-12-05"
# The Event API's quotas as AWS General Reference 'AWS AppSync endpoints and quotas' lists them
# (docs.aws.amazon.com/general/latest/gr/appsync.html; three independent transcriptions agree,
# read 2026-12-05; the page itself was not reachable here), codes from a Service Quotas catalog
# export: outbound messages 1,000,000/s per API (L-F643C244; AWS meters one message per 5 KB
# delivered, Event API CloudWatch metrics), inbound events 10,000/s (L-D91E563A), connections
# 2,000/s (L-10498098), subscriptions per connection 200 (L-AA33EB36), events <= 240 KB
# (Event API concepts), at most 5 events per publish (publish-http).
EVENTS_QUOTAS_SOURCE = ("AWS General Reference 'AWS AppSync endpoints and quotas' (Event APIs), as transcribed, read "
                        "2026-12-05; codes from a Service Quotas catalog export")
EVENTS_ASSUMED_SOURCE = EVENTS_QUOTAS_SOURCE
# AWS meters real-time messages by size: "One metered message equals 5 kB of delivered data" (AppSync
# Events Developer Guide, CloudWatch metrics: InboundMessages / OutboundMessages; the GraphQL API's
# real-time OutboundMessages metric is defined the same way; read 2026-12-05), and the outbound and
# inbound message-rate quotas count metered messages. A delivery of B bytes is ceil(B / 5,000):
# "kB" read as 1,000 B, the smaller reading, so counts are never understated. Billing: the
# pricing page's footnote on real-time updates could not be read in full here; chatstack bills
# the same unit (AppSync real-time updates, Event API operations): an upper bound if AWS bills per
# delivery.
METERED_MESSAGE_BYTES = 5_000
METERING_SOURCE = ("AWS AppSync Events Developer Guide, CloudWatch metrics ('One metered message equals 5 kB of "
                   "delivered data'), and AWS AppSync Developer Guide, real-time OutboundMessages metric, read "
                   "2026-12-05; billing in the same unit is chatstack's reading (an upper bound)")
EVENTS_NEW_CONNECTIONS_DEFAULT = 2_000
EVENTS_SUBSCRIPTIONS_PER_CONNECTION_DEFAULT = 200
CHATSTACK_ASSUMPTION = "chatstack assumption (2026-11), not an AWS figure; override per stack"
AS_OF = "2026-11"

# Planning ceiling for adjustable quotas, as a multiple of the AWS default (see module doc).
ADJUSTABLE_CEILING_FACTOR = 20


@dataclass(frozen=True)
class Quota:
    key: str
    name: str
    unit: str
    default: float
    adjustable: bool
    # Highest value we plan on an increase giving (None for fixed quotas).
    ceiling: float | None
    source: str
    as_of: str
    # What to change in the stack when the plan needs more than this quota allows.
    remedy: str
    service_code: str = "appsync"
    # Service Quotas code; None where we could not confirm one from a primary listing.
    quota_code: str | None = None
    scope: str = "per API"


def _adjustable(key, name, unit, default, remedy, quota_code=None, scope="per API", source=APPSYNC_QUOTAS_SOURCE):
    return Quota(
        key=key, name=name, unit=unit, default=default, adjustable=True,
        ceiling=default * ADJUSTABLE_CEILING_FACTOR, source=source, as_of=AS_OF, remedy=remedy,
        quota_code=quota_code, scope=scope,
    )


def _cognito_rate(key, name, default):
    """An adjustable Cognito request-rate category on the join path (increases can be purchased)."""
    return Quota(
        key=key, name=name, unit="requests/s", default=default, adjustable=True,
        ceiling=default * ADJUSTABLE_CEILING_FACTOR, source=COGNITO_QUOTAS_SOURCE, as_of=COGNITO_AS_OF,
        remedy="use chatstack:attendeeAuth oidc (attendees signed in by the event platform)",
        service_code="cognito-idp", scope="per account and region",
    )


QUOTAS: dict[str, Quota] = {
    q.key: q
    for q in (
        _adjustable(
            "newConnectionsPerSecond", "Real-time new connections per second", "connections/s", 200,
            "spread joins over a longer chatstack:joinWindowSeconds",
            quota_code="L-C01DB6E6", source=f"{APPSYNC_QUOTAS_SOURCE}; code: {REALTIME_QUOTA_CODE_SOURCE}",
        ),
        _adjustable(
            "inboundMessagesPerSecond", "Real-time inbound messages per second", "metered messages/s", 10_000,
            "lower chatstack:messagesPerSecond, or use chatstack:fanOutMode batched",
            quota_code="L-A1B022A0", source=f"{APPSYNC_QUOTAS_SOURCE}; code: {REALTIME_QUOTA_CODE_SOURCE}",
        ),
        _adjustable(
            "outboundMessagesPerSecond", "Real-time outbound messages per second", "metered messages/s", 1_000_000,
            "lower chatstack:messagesPerSecond or chatstack:participants, or use chatstack:fanOutMode batched",
            quota_code="L-5DE70651", source=f"{APPSYNC_QUOTAS_SOURCE}; code: {REALTIME_QUOTA_CODE_SOURCE}",
        ),
        _adjustable(
            "requestTokensPerSecond", "Rate of request tokens", "tokens/s", 5_000,
            "lower chatstack:messagesPerSecond or spread joins (chatstack:joinWindowSeconds)",
            quota_code="L-FC5E46D0", scope="per account and region",
            # Default varies by region (5,000-10,000/s per platform-facts; older listings show 2,000).
            source=f"{APPSYNC_QUOTAS_SOURCE}; code: {QUOTA_CODE_SOURCE}",
        ),
        _adjustable(
            "subscriptionsPerConnection", "Subscriptions per connection", "subscriptions", 100,
            "subscribe to fewer rooms per client",
            quota_code="L-AA33EB36", scope="per connection",
            source=f"{APPSYNC_QUOTAS_SOURCE}; code: {QUOTA_CODE_SOURCE}",
        ),
        # The Event API (fanOutMode events): its own real-time quotas, per API.
        _adjustable(
            "eventsNewConnectionsPerSecond", "Event API new connections per second", "connections/s",
            EVENTS_NEW_CONNECTIONS_DEFAULT, "spread joins over a longer chatstack:joinWindowSeconds",
            quota_code="L-10498098", source=EVENTS_ASSUMED_SOURCE,
        ),
        _adjustable(
            "eventsInboundMessagesPerSecond", "Event API inbound messages per second", "metered messages/s", 10_000,
            "raise chatstack:flushIntervalMs", quota_code="L-D91E563A", source=EVENTS_QUOTAS_SOURCE,
        ),
        _adjustable(
            "eventsOutboundMessagesPerSecond", "Event API outbound messages per second", "metered messages/s",
            1_000_000, "split the audience over more Event APIs",
            quota_code="L-F643C244", source=EVENTS_QUOTAS_SOURCE,
        ),
        _adjustable(
            "eventsSubscriptionsPerConnection", "Event API subscriptions per connection", "subscriptions",
            EVENTS_SUBSCRIPTIONS_PER_CONNECTION_DEFAULT, "subscribe to fewer rooms per client",
            quota_code="L-AA33EB36", scope="per connection", source=EVENTS_ASSUMED_SOURCE,
        ),
        Quota(
            key="eventsSubscriptionPayloadBytes", name="Event API event size", unit="bytes",
            default=240 * 1024, adjustable=False, ceiling=None, source=EVENTS_QUOTAS_SOURCE, as_of=AS_OF,
            remedy="lower chatstack:averageMessageBytes, or a shorter chatstack:flushIntervalMs",
            scope="per event",
        ),
        _cognito_rate("cognitoUserCreationPerSecond", "Cognito UserCreation requests per second (sign-up)", 50),
        _cognito_rate("cognitoUserAuthenticationPerSecond", "Cognito UserAuthentication requests per second (sign-in)",
                      120),
        Quota(
            key="cognitoDefaultEmailsPerDay", name="Cognito built-in email sender, emails per day",
            unit="emails/day", default=50, adjustable=False, ceiling=None,
            source=COGNITO_QUOTAS_SOURCE, as_of=COGNITO_AS_OF, service_code="cognito-idp",
            scope="per account",
            remedy="send through SES (chatstack:sesEmailIdentityArn) or use chatstack:attendeeAuth oidc",
        ),
        Quota(
            key="subscriptionPayloadBytes", name="Real-time subscription payload size", unit="bytes",
            default=240 * 1024, adjustable=False, ceiling=None, source=APPSYNC_QUOTAS_SOURCE, as_of=AS_OF,
            remedy="lower chatstack:averageMessageBytes, or (batched) a shorter chatstack:flushIntervalMs",
            scope="per message",
        ),
    )
}


PRICES_AS_OF = "2026-12"
LAMBDA_PRICING_SOURCE = "aws.amazon.com/lambda/pricing (us-east-1, Arm)"


@dataclass(frozen=True)
class TieredPrice:
    """A price per unit that falls with the month's volume: (upper bound of the tier or None, USD per unit)."""

    key: str
    name: str
    unit: str
    tiers: tuple[tuple[float | None, float], ...]
    source: str
    as_of: str


# AppSync bills data sent to clients (real-time updates and responses) as data transfer out at the
# Amazon EC2 internet rate. Monthly tiers per account, us-east-1; the first 100 GB a month are
# free across services (not counted: shared and small).
DATA_TRANSFER_OUT = TieredPrice(
    key="dataTransferOut", name="Data transfer out to the internet (AppSync to clients)", unit="GB",
    tiers=((10 * 1024, 0.09), (50 * 1024, 0.085), (150 * 1024, 0.07), (None, 0.05)),
    source="aws.amazon.com/appsync/pricing ('Data transfer': charged at the EC2 data transfer rate); "
           "aws.amazon.com/ec2/pricing/on-demand ('Data Transfer OUT From Amazon EC2 To Internet', us-east-1: "
           "first 10 TB/month $0.09/GB, next 40 TB $0.085, next 100 TB $0.07, over 150 TB $0.05)",
    as_of=PRICES_AS_OF,
)


@dataclass(frozen=True)
class Price:
    key: str
    name: str
    usd: float
    # usd is charged per `per` units of `unit`.
    per: int
    unit: str
    source: str
    as_of: str


PRICES: dict[str, Price] = {
    p.key: p
    for p in (
        Price("appsyncRequests", "AppSync queries and mutations", 4.00, 1_000_000, "operations",
              APPSYNC_PRICING_SOURCE, AS_OF),
        Price("appsyncRealtimeUpdates", "AppSync real-time updates", 2.00, 1_000_000, "updates delivered",
              APPSYNC_PRICING_SOURCE, AS_OF),
        Price("appsyncConnectionMinutes", "AppSync connection-minutes", 0.08, 1_000_000, "connection-minutes",
              APPSYNC_PRICING_SOURCE, AS_OF),
        # fanOutMode events: the Event API bills operations (deliveries, publishes, connects,
        # subscribes) and its own connection-minutes.
        Price("appsyncEventOperations", "AppSync Event API operations", 1.00, 1_000_000, "operations",
              EVENTS_PRICING_SOURCE, EVENTS_PRICING_AS_OF),
        Price("appsyncEventConnectionMinutes", "AppSync Event API connection-minutes", 0.08, 1_000_000,
              "connection-minutes", EVENTS_PRICING_SOURCE, EVENTS_PRICING_AS_OF),
        Price("dynamodbWriteRequestUnits", "DynamoDB on-demand write request units (us-east-1)", 0.625, 1_000_000,
              "WRU", "aws.amazon.com/dynamodb/pricing/on-demand", AS_OF),
        Price("dynamodbReadRequestUnits", "DynamoDB on-demand read request units (us-east-1)", 0.125, 1_000_000,
              "RRU", "aws.amazon.com/dynamodb/pricing/on-demand", AS_OF),
        # Essentials is the default feature plan of new user pools (ChatUserPool sets none).
        Price("cognitoEssentialsMau", "Cognito user pool MAU, Essentials plan", 0.015, 1, "MAU",
              "aws.amazon.com/cognito/pricing (transcribed 2026-09-20 in api-evangelist/amazon-cognito "
              "plans/amazon-cognito-plans-pricing.yml)", "2026-09"),
        # The batched fan-out consumer (arm64, us-east-1).
        Price("lambdaRequests", "Lambda requests (fan-out consumer)", 0.20, 1_000_000, "invocations",
              LAMBDA_PRICING_SOURCE, PRICES_AS_OF),
        Price("lambdaArmGbSeconds", "Lambda duration, arm64 (fan-out consumer)", 0.0000133334, 1, "GB-seconds",
              LAMBDA_PRICING_SOURCE, PRICES_AS_OF),
        Price("cloudwatchLogsIngestion", "CloudWatch Logs ingestion (AppSync + consumer logs)", 0.50, 1,
              "GB ingested", "aws.amazon.com/cloudwatch/pricing (Logs, Standard, us-east-1)", PRICES_AS_OF),
        Price("xrayTracesRecorded", "X-Ray traces recorded (AppSync sampling)", 5.00, 1_000_000, "traces",
              "aws.amazon.com/xray/pricing (traces recorded)", PRICES_AS_OF),
        # Per account (or organisation) per month: other events in the same month share it.
        # Override with 0 to plan conservatively.
        Price("cognitoFreeMau", "Cognito MAU free tier (Lite/Essentials)", 10_000, 1, "MAU per account-month",
              "aws.amazon.com/cognito/pricing (same transcription)", "2026-09"),
    )
}
