"""What the web client (web/) is served with, wherever it is served: its config.json (from the
stack's outputs) and its security headers. ChatWebApp puts these on CloudFront; the local
stack (chatstack.local.web) sends the same ones, so a policy the page breaks breaks locally.

Pure functions, no Pulumi: the values may be plain strings or resolved Outputs.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Stack outputs the client reads from config.json (web/src/config.ts checks the same keys).
CLIENT_CONFIG_KEYS = ("graphqlUrl", "realtimeUrl", "region", "userPoolId", "userPoolClientId", "fanOutMode",
                      "attendeeAuth", "selfSignUp")
# oidc stacks: how attendees sign in at the event platform (web/src/attendeeAuth.ts).
OIDC_CLIENT_CONFIG_KEYS = ("oidcIssuer", "oidcClientId", "oidcScopes", "oidcModeratorClaim")
# events stacks: the Event API the client subscribes to rooms on (web/src/data/eventsChannel.ts).
EVENTS_CLIENT_CONFIG_KEYS = ("eventsUrl", "eventsRealtimeUrl")
# Only a local stack has it: where its Cognito-compatible endpoint listens (Amplify's userPoolEndpoint).
LOCAL_CLIENT_CONFIG_KEYS = ("cognitoEndpoint",)
# When set: the origins that may frame the client and hand it an attendee token (postMessage).
EMBED_CONFIG_KEY = "embedOrigins"

HSTS_MAX_AGE_SECONDS = 63_072_000  # two years, the preload list's minimum
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
REFERRER_POLICY = "no-referrer"

# Cache rules, the same wherever the client is served (CloudFront, or chatstack local): hashed
# assets forever, everything else revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".map": "application/json",
}


def client_config(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """config.json: the client's keys out of the stack outputs (a missing one is a KeyError naming it)."""
    missing = [key for key in CLIENT_CONFIG_KEYS if key not in outputs]
    if missing:
        raise KeyError(f"stack outputs lack {missing}, which the web client's config.json needs")
    config = {key: outputs[key] for key in CLIENT_CONFIG_KEYS}
    if outputs["attendeeAuth"] == "oidc":
        config.update({key: outputs[key] for key in OIDC_CLIENT_CONFIG_KEYS if key in outputs})
    optional = (*EVENTS_CLIENT_CONFIG_KEYS, *LOCAL_CLIENT_CONFIG_KEYS, EMBED_CONFIG_KEY)
    config.update({key: outputs[key] for key in optional if outputs.get(key)})
    return config


def origin(url: str) -> str:
    """scheme://host[:port] of a URL (what CSP connect-src needs to reach an issuer's endpoints)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def cognito_endpoint(region: str) -> str:
    """The Cognito user-pools API Amplify Auth calls for a pool in `region`."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def content_security_policy(connect_src: Iterable[str], embed_origins: Iterable[str] = ()) -> str:
    """The page may load only its own files and talk only to `connect_src` (and config.json);
    only `embed_origins` may frame it."""
    ancestors = " ".join(embed_origins) or "'none'"
    directives = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src " + " ".join(["'self'", *connect_src]),
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(directives)


@dataclass(frozen=True)
class WebSecurityHeaders:
    content_security_policy: str
    # DENY unless some origin may embed the client (then CSP frame-ancestors alone decides).
    frame_options: str | None
    referrer_policy: str = REFERRER_POLICY
    hsts_max_age_seconds: int = HSTS_MAX_AGE_SECONDS
    permissions_policy: str = PERMISSIONS_POLICY

    def http_headers(self, https: bool) -> dict[str, str]:
        """As response headers (HSTS only over HTTPS: browsers ignore it on plain HTTP)."""
        headers = {
            "Content-Security-Policy": self.content_security_policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": self.referrer_policy,
            "Permissions-Policy": self.permissions_policy,
        }
        if self.frame_options:
            headers["X-Frame-Options"] = self.frame_options
        if https:
            headers["Strict-Transport-Security"] = f"max-age={self.hsts_max_age_seconds}; includeSubDomains"
        return headers


def security_headers(connect_src: Iterable[str], embed_origins: Iterable[str] = ()) -> WebSecurityHeaders:
    embed = list(embed_origins)
    return WebSecurityHeaders(
        content_security_policy=content_security_policy(connect_src, embed),
        frame_options=None if embed else "DENY",
    )
