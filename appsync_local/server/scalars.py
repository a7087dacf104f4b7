"""AppSync's built-in scalars and directives, declared for graphql-core (local only).

PRELUDE is prepended to the deployed schema when the local endpoint builds it; it is
never deployed (AppSync has these built in). `install_scalars` gives the declared
scalars AppSync's parsing and serialisation rules.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLSchema, ValueNode, value_from_ast_untyped
from graphql.language import IntValueNode, StringValueNode

APPSYNC_SCALARS = (
    "AWSDate",
    "AWSTime",
    "AWSDateTime",
    "AWSTimestamp",
    "AWSEmail",
    "AWSJSON",
    "AWSURL",
    "AWSPhone",
    "AWSIPAddress",
)

AUTH_DIRECTIVES = frozenset(
    {"aws_cognito_user_pools", "aws_iam", "aws_api_key", "aws_oidc", "aws_lambda", "aws_auth"}
)

_LOCATIONS = "OBJECT | FIELD_DEFINITION | INTERFACE | UNION | INPUT_OBJECT | ENUM"

PRELUDE = "\n".join(
    [f"scalar {name}" for name in APPSYNC_SCALARS]
    + [
        "directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION",
        f"directive @aws_cognito_user_pools(cognito_groups: [String!]) on {_LOCATIONS}",
        f"directive @aws_iam on {_LOCATIONS}",
        f"directive @aws_api_key on {_LOCATIONS}",
        f"directive @aws_oidc on {_LOCATIONS}",
        f"directive @aws_lambda on {_LOCATIONS}",
        f"directive @aws_auth(cognito_groups: [String!]) on {_LOCATIONS}",
    ]
) + "\n"

_OFFSET = r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)"
_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?"
_PATTERNS: dict[str, re.Pattern[str]] = {
    # Extended ISO 8601. Dates and times may carry an offset; date-times must.
    "AWSDate": re.compile(rf"^{_DATE}{_OFFSET}?$"),
    "AWSTime": re.compile(rf"^{_TIME}{_OFFSET}?$"),
    "AWSDateTime": re.compile(rf"^{_DATE}T{_TIME}{_OFFSET}$"),
    "AWSEmail": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "AWSURL": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$"),
    "AWSPhone": re.compile(r"^\+?[0-9][0-9 ()-]{2,}[0-9]$"),
}
_KIND = {
    "AWSDate": "Date",
    "AWSTime": "Time",
    "AWSDateTime": "DateTime",
    "AWSEmail": "Email",
    "AWSURL": "URL",
    "AWSPhone": "Phone",
    "AWSIPAddress": "IPAddress",
    "AWSTimestamp": "Timestamp",
    "AWSJSON": "JSON",
}


class ScalarSerializationError(ValueError):
    """A resolver returned a value the scalar cannot represent."""


def _is_ip(value: str) -> bool:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _valid_string(name: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if name == "AWSIPAddress":
        return _is_ip(value)
    return bool(_PATTERNS[name].match(value))


def _string_scalar(name: str) -> tuple[Callable, Callable, Callable]:
    kind = _KIND[name]

    def serialize(value: Any) -> str:
        if not _valid_string(name, value):
            raise ScalarSerializationError(f"Unable to serialize `{value}` as a valid {kind} Object.")
        return value

    def parse_value(value: Any) -> str:
        if not _valid_string(name, value):
            raise GraphQLError(f"Unable to parse `{value}` as a valid {kind}.")
        return value

    def parse_literal(node: ValueNode, _variables: Any = None) -> str:
        if not isinstance(node, StringValueNode):
            raise GraphQLError(f"Unable to parse literal as a valid {kind}: expected a string.")
        return parse_value(node.value)

    return serialize, parse_value, parse_literal


def _timestamp() -> tuple[Callable, Callable, Callable]:
    def serialize(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ScalarSerializationError(f"Unable to serialize `{value}` as a valid Timestamp Object.")
        return int(value)

    def parse_value(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise GraphQLError(f"Unable to parse `{value}` as a valid Timestamp (seconds since the epoch).")
        return value

    def parse_literal(node: ValueNode, _variables: Any = None) -> int:
        if not isinstance(node, IntValueNode):
            raise GraphQLError("Unable to parse literal as a valid Timestamp: expected an integer.")
        return int(node.value)

    return serialize, parse_value, parse_literal


def _json() -> tuple[Callable, Callable, Callable]:
    # Input: a string holding JSON, handed to resolvers parsed. Output: serialised JSON.
    def serialize(value: Any) -> str:
        try:
            return json.dumps(value, separators=(",", ":"))
        except (TypeError, ValueError) as error:
            raise ScalarSerializationError(f"Unable to serialize `{value}` as a valid JSON Object.") from error

    def parse_value(value: Any) -> Any:
        if not isinstance(value, str):
            raise GraphQLError(f"Unable to parse `{value}` as a valid JSON Object: expected a JSON string.")
        try:
            return json.loads(value)
        except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply to decode
            raise GraphQLError(f"Unable to parse `{value}` as a valid JSON Object.") from error

    def parse_literal(node: ValueNode, variables: Any = None) -> Any:
        if isinstance(node, StringValueNode):
            return parse_value(node.value)
        return value_from_ast_untyped(node, variables)

    return serialize, parse_value, parse_literal


def install_scalars(schema: GraphQLSchema) -> None:
    for name in APPSYNC_SCALARS:
        scalar = schema.type_map.get(name)
        if scalar is None:
            continue
        if name == "AWSTimestamp":
            functions = _timestamp()
        elif name == "AWSJSON":
            functions = _json()
        else:
            functions = _string_scalar(name)
        scalar.serialize, scalar.parse_value, scalar.parse_literal = functions  # type: ignore[attr-defined]
