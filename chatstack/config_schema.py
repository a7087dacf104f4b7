"""The JSON Schema of a stack's `chatstack:*` config keys, generated from the config model
(`chatstack.config.EventChatConfig`): types, ranges, defaults and descriptions, for tools that
write or check `Pulumi.<event>.yaml` files (`chatstack config schema`).

The model stays the authority: rules across keys (an oidc issuer for oidc attendees, a
certificate with a domain) are the model's validators and are not in the schema.
"""

from __future__ import annotations

from typing import Any

from chatstack.config import NAMESPACE, EventChatConfig

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, Any]:
    """An object schema whose properties are the `chatstack:<key>` config keys."""
    model = EventChatConfig.model_json_schema(by_alias=True, mode="validation")
    # pydantic's titles ("Alarmemails") say less than the key itself: dropped.
    properties = {f"{NAMESPACE}:{key}": {k: v for k, v in value.items() if k != "title"}
                  for key, value in model["properties"].items()}
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://chatstack.dev/schemas/stack-config.json",
        "title": "chatstack event stack config (the chatstack: keys of Pulumi.<event>.yaml's config)",
        "type": "object",
        "properties": properties,
        "required": [f"{NAMESPACE}:{key}" for key in model.get("required", [])],
        # Other namespaces (aws:region, ...) are Pulumi's and the providers'; unknown chatstack: keys are errors.
        "patternProperties": {f"^(?!{NAMESPACE}:)": {}},
        "additionalProperties": False,
        **({"$defs": model["$defs"]} if "$defs" in model else {}),
    }
