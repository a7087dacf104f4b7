"""The interface between the resolver runtime and the GraphQL endpoint that calls it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class ResolverError:
    """An error as AppSync reports it in `errors[]` (path/locations are added by the endpoint)."""

    message: str
    error_type: str | None = None
    data: Any = None
    error_info: Any = None


@dataclass
class FieldResult:
    """The outcome of one field's resolver (unit or pipeline).

    `data` is the field value (None when an error aborted it). `errors` holds the
    `util.error` that aborted it and/or every `util.appendError`. `extensions` carries what
    a subscription resolver asked for: {"subscriptionFilter": <filter group JSON>,
    "subscriptionInvalidationFilter": ..., "invalidateSubscriptions": [...]}.
    """

    data: Any = None
    errors: list[ResolverError] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)


class ResolverRuntime(Protocol):
    def has_resolver(self, type_name: str, field_name: str) -> bool: ...

    def resolve(
        self,
        type_name: str,
        field_name: str,
        *,
        arguments: dict[str, Any],
        identity: dict[str, Any] | None,
        source: dict[str, Any] | None = None,
        selection_set_list: list[str] | None = None,
        selection_set_graphql: str = "",
        variables: dict[str, Any] | None = None,
        request_headers: dict[str, str] | None = None,
    ) -> FieldResult:
        """Run the resolver attached to type_name.field_name exactly as AppSync would.

        `identity` is AppSync's ctx.identity for the caller (Cognito: sub, issuer,
        username, claims, sourceIp, defaultAuthStrategy, groups; IAM: accountId,
        cognitoIdentityPoolId, ..., userArn, username), or None.
        """
        ...
