"""A local AppSync endpoint: GraphQL over HTTP and the real-time WebSocket protocol.

Serves a schema and a `ResolverRuntime` (appsync_local.contract) with Cognito user-pool
and OpenID Connect JWT auth (and optionally SigV4 IAM). `chatstack.local.stack` builds
one from the Pulumi program's resources.
"""

from appsync_local.server.auth import (
    AuthError,
    CognitoIdentity,
    CognitoJwtVerifier,
    OidcIdentity,
    OidcJwtVerifier,
    TokenVerifiers,
)
from appsync_local.server.graphql_endpoint import GraphQLEndpoint
from appsync_local.server.http import LocalAppSync
from appsync_local.server.realtime import RealtimeServer

__all__ = [
    "AuthError",
    "CognitoIdentity",
    "CognitoJwtVerifier",
    "GraphQLEndpoint",
    "LocalAppSync",
    "OidcIdentity",
    "OidcJwtVerifier",
    "RealtimeServer",
    "TokenVerifiers",
]
