"""The web client of one event, deployed: the built app (web/dist) in a private S3 bucket behind
CloudFront, with config.json written from the stack's outputs.

- Bucket: all public access blocked, owner-enforced (no ACLs), SSE-S3 encrypted, readable only
  by this distribution (origin access control, SigV4), TLS-only.
- Distribution: HTTPS only (HTTP redirects), TLS >= 1.2 when the event has its own domain and
  ACM certificate (the *.cloudfront.net certificate is fixed at TLSv1 by CloudFront), SPA
  fallback (a missing path answers index.html), compressed, and a response headers policy:
  a CSP whose connect-src is exactly this stack's AppSync and Cognito endpoints, HSTS,
  nosniff, no referrer, frame-ancestors as configured.
- config.json: `chatstack.web_contract.client_config` of the outputs, never cached for long,
  so one build serves every event.
"""

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from chatstack.config import StackConfigError
from chatstack.event_names import bucket_prefix
from chatstack.web_contract import (
    CONTENT_TYPES,
    IMMUTABLE,
    REVALIDATE,
    client_config,
    cognito_endpoint,
    origin,
    security_headers,
)
from components.transforms import TransformArgs, check_roles, child_maker

# AWS managed cache policy "CachingOptimized" (CloudFront developer guide, managed cache policies).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
TLS_POLICY = "TLSv1.2_2021"
# Content-hashed build output (Vite's assets/) never changes under its name.
WEB_APP_KEY = "chatstack:webApp"


@dataclass(frozen=True)
class SiteFile:
    key: str  # object key, relative to the site root ("assets/index-abc.js")
    path: Path
    content_type: str
    cache_control: str


def site_files(site_dir: Path) -> list[SiteFile]:
    """The built client's files; StackConfigError (naming chatstack:webApp) if it is not built."""
    if not (site_dir / "index.html").is_file():
        raise StackConfigError(
            f"{WEB_APP_KEY} is true but the web client is not built ({site_dir / 'index.html'} is missing). "
            "Fix: `make web` (npm --prefix web ci && npm --prefix web run build), then deploy."
        )
    files = []
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        key = path.relative_to(site_dir).as_posix()
        if key == "config.json":
            continue  # written from the stack's outputs, never from a build
        guessed = mimetypes.guess_type(path.name)[0]
        content_type = CONTENT_TYPES.get(path.suffix) or guessed or "application/octet-stream"
        cache = IMMUTABLE if key.startswith("assets/") else REVALIDATE
        files.append(SiteFile(key, path, content_type, cache))
    return files


def connect_sources(graphql_url: str, realtime_url: str, region: str, oidc_issuer: str | None = None,
                    events_urls: tuple[str, ...] = ()) -> list[str]:
    """Exactly what the page calls: this API's GraphQL and real-time URLs, Cognito in its region,
    on events stacks the Event API's real-time URL (and its HTTP one) and, on oidc stacks, the
    event platform's issuer (discovery, token and JWKS endpoints)."""
    return [graphql_url, realtime_url, *events_urls, cognito_endpoint(region),
            *([origin(oidc_issuer)] if oidc_issuer else [])]


def bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudFrontReadsThroughOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    })


@dataclass
class ChatWebAppArgs:
    stem: str  # "<project>-<event>": names and descriptions say whose it is
    tags: dict[str, str]
    region: str
    site_dir: str  # the built web client (web/dist)
    # The stack outputs: config.json is client_config(outputs); CSP connect-src from its URLs.
    outputs: dict[str, pulumi.Input[str]]
    domain: str | None = None
    certificate_arn: str | None = None
    embed_origins: list[str] | None = None
    price_class: str = "PriceClass_100"
    # Development stacks may delete the bucket with its objects; production keeps it.
    force_destroy: bool = False
    transform: TransformArgs | None = None


class ChatWebApp(pulumi.ComponentResource):
    web_url: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    bucket_name: pulumi.Output[str]

    ROLES = {"bucket", "publicAccessBlock", "ownershipControls", "encryption", "originAccessControl",
             "headersPolicy", "distribution", "bucketPolicy", "config", "files"}

    def __init__(self, name: str, args: ChatWebAppArgs, opts: pulumi.ResourceOptions | None = None):
        files = site_files(Path(args.site_dir))  # before anything is registered
        super().__init__("chatstack:index:ChatWebApp", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatWebApp")

        make = child_maker(self, args.transform)

        bucket = make("bucket", aws.s3.Bucket, f"{name}-site", {
            "bucket_prefix": bucket_prefix(args.stem, "web"),
            "force_destroy": args.force_destroy,
            "tags": args.tags,
        })
        block = make("publicAccessBlock", aws.s3.BucketPublicAccessBlock, f"{name}-site-private", {
            "bucket": bucket.id,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        })
        make("ownershipControls", aws.s3.BucketOwnershipControls, f"{name}-site-ownership", {
            "bucket": bucket.id,
            "rule": {"object_ownership": "BucketOwnerEnforced"},
        })
        make("encryption", aws.s3.BucketServerSideEncryptionConfiguration, f"{name}-site-encryption", {
            "bucket": bucket.id,
            "rules": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                       "bucket_key_enabled": True}],
        })
        oac = make("originAccessControl", aws.cloudfront.OriginAccessControl, f"{name}-oac", {
            "description": f"{args.stem}: CloudFront reads the web client's bucket",
            "origin_access_control_origin_type": "s3",
            "signing_behavior": "always",
            "signing_protocol": "sigv4",
        })

        outputs = args.outputs
        headers = pulumi.Output.all(outputs["graphqlUrl"], outputs["realtimeUrl"], outputs.get("oidcIssuer"),
                                    outputs.get("eventsUrl"), outputs.get("eventsRealtimeUrl")).apply(
            lambda urls: security_headers(connect_sources(urls[0], urls[1], args.region, urls[2],
                                                          tuple(u for u in urls[3:] if u)),
                                          args.embed_origins or [])
        )
        security: dict[str, Any] = {
            "content_security_policy": {
                "content_security_policy": headers.apply(lambda h: h.content_security_policy), "override": True},
            "content_type_options": {"override": True},
            "referrer_policy": {"referrer_policy": headers.apply(lambda h: h.referrer_policy), "override": True},
            "strict_transport_security": {
                "access_control_max_age_sec": headers.apply(lambda h: h.hsts_max_age_seconds),
                "include_subdomains": True,
                "override": True,
            },
        }
        if not args.embed_origins:
            security["frame_options"] = {"frame_option": "DENY", "override": True}
        headers_policy = make("headersPolicy", aws.cloudfront.ResponseHeadersPolicy, f"{name}-headers", {
            "comment": f"{args.stem}: web client security headers",
            "security_headers_config": security,
            "custom_headers_config": {"items": [{
                "header": "Permissions-Policy",
                "value": headers.apply(lambda h: h.permissions_policy),
                "override": True,
            }]},
        })

        if args.certificate_arn:
            certificate = {"acm_certificate_arn": args.certificate_arn, "ssl_support_method": "sni-only",
                           "minimum_protocol_version": TLS_POLICY}
        else:  # *.cloudfront.net: CloudFront fixes the security policy at TLSv1 (the policy pack reports it)
            certificate = {"cloudfront_default_certificate": True}
        spa_fallback = [
            {"error_code": code, "response_code": 200, "response_page_path": "/index.html", "error_caching_min_ttl": 10}
            for code in (403, 404)  # with OAC and no ListBucket, S3 answers a missing key with 403
        ]
        distribution = make("distribution", aws.cloudfront.Distribution, f"{name}-cdn", {
            "comment": f"{args.stem} web client",
            "enabled": True,
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": args.price_class,
            "aliases": [args.domain] if args.domain else [],
            "default_root_object": "index.html",
            "origins": [{
                "origin_id": "site",
                "domain_name": bucket.bucket_regional_domain_name,
                "origin_access_control_id": oac.id,
            }],
            "default_cache_behavior": {
                "target_origin_id": "site",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED_POLICY_ID,
                "response_headers_policy_id": headers_policy.id,
            },
            "custom_error_responses": spa_fallback,
            "restrictions": {"geo_restriction": {"restriction_type": "none"}},
            "viewer_certificate": certificate,
            "tags": args.tags,
        })
        make("bucketPolicy", aws.s3.BucketPolicy, f"{name}-site-policy", {
            "bucket": bucket.id,
            "policy": pulumi.Output.all(bucket.arn, distribution.arn).apply(lambda a: bucket_policy(a[0], a[1])),
        }, depends_on=[block])

        config_json = pulumi.Output.all(**{k: outputs[k] for k in outputs}).apply(
            lambda values: json.dumps(client_config(values), indent=2, sort_keys=True)
        )
        make("config", aws.s3.BucketObjectv2, f"{name}-config", {
            "bucket": bucket.id,
            "key": "config.json",
            "content": config_json,
            "content_type": "application/json",
            "cache_control": REVALIDATE,
            "tags": args.tags,
        })
        for site_file in files:
            make("files", aws.s3.BucketObjectv2, f"{name}-file-{site_file.key}", {
                "bucket": bucket.id,
                "key": site_file.key,
                "source": pulumi.FileAsset(str(site_file.path)),
                "content_type": site_file.content_type,
                "cache_control": site_file.cache_control,
                "tags": args.tags,
            })

        self.web_url = pulumi.Output.from_input(f"https://{args.domain}/") if args.domain else (
            distribution.domain_name.apply(lambda d: f"https://{d}/"))
        self.distribution_id = distribution.id
        self.bucket_name = bucket.bucket
        self.register_outputs({"webUrl": self.web_url, "distributionId": self.distribution_id,
                               "bucketName": self.bucket_name})
