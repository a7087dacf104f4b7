"""`chatstack preview`: what a stack would create, evaluated offline."""

from __future__ import annotations

import json
from typing import Any

from chatstack.offline.evaluation import ProgramRun, RegisteredResource

# The properties worth a glance per resource type (camelCase, as the engine sees them).
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "aws:dynamodb/table:Table": (
        "name", "billingMode", "streamViewType", "pointInTimeRecovery", "serverSideEncryption", "ttl",
        "deletionProtectionEnabled",
    ),
    "aws:cognito/userPool:UserPool": ("name", "deletionProtection", "aliasAttributes", "mfaConfiguration"),
    "aws:cognito/userPoolClient:UserPoolClient": ("name", "generateSecret", "explicitAuthFlows"),
    "aws:cognito/userGroup:UserGroup": ("name",),
    "aws:appsync/graphQLApi:GraphQLApi": (
        "name", "authenticationType", "additionalAuthenticationProviders", "introspectionConfig",
        "queryDepthLimit", "resolverCountLimit", "xrayEnabled",
    ),
    "aws:appsync/dataSource:DataSource": ("name", "type"),
    "aws:appsync/function:Function": ("name", "dataSource", "runtime"),
    "aws:appsync/resolver:Resolver": ("type", "field", "kind", "dataSource", "runtime"),
    "aws:iam/role:Role": ("namePrefix",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
}


def key_properties(resource: RegisteredResource) -> dict[str, Any]:
    wanted = KEY_PROPERTIES.get(resource.type, ("name",))
    return {k: _plain(resource.inputs[k]) for k in wanted if k in resource.inputs}


def _plain(value: Any) -> Any:
    """Numbers cross Pulumi's RPC as floats; show whole ones as the ints they were."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def as_json(run: ProgramRun) -> str:
    return json.dumps(
        {
            "project": run.project,
            "stack": run.stack,
            "resources": [
                {
                    "type": r.type,
                    "name": r.name,
                    "urn": r.urn,
                    "parent": r.parent,
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "properties": key_properties(r),
                }
                for r in run.resources
            ],
            "outputs": run.outputs,
        },
        indent=2,
        sort_keys=True,
    )


def as_text(run: ProgramRun) -> str:
    lines = [f"Stack {run.project}/{run.stack}: {len(run.resources)} resources (offline preview, nothing deployed)", ""]
    by_urn = {r.urn: r for r in run.resources}

    def depth(resource: RegisteredResource) -> int:
        level = 0
        while resource.parent in by_urn:
            resource = by_urn[resource.parent]
            level += 1
        return level

    def walk(parent: str, seen: set[str]) -> None:
        children = sorted((r for r in run.resources if r.parent == parent), key=lambda r: (r.custom, r.type, r.name))
        for child in children:
            if child.urn in seen:
                continue
            seen.add(child.urn)
            flags = " [protected, retained on delete]" if child.protect else ""
            lines.append(f"{'  ' * depth(child)}+ {child.type}  {child.name}{flags}")
            for key, value in key_properties(child).items():
                text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                lines.append(f"{'  ' * depth(child)}    {key}: {text}")
            walk(child.urn, seen)

    roots = {r.parent for r in run.resources if r.parent not in by_urn}
    seen: set[str] = set()
    for root in sorted(roots):
        walk(root, seen)
    lines += ["", "Outputs:"]
    lines += [f"  {key}: {value}" for key, value in sorted(run.outputs.items())]
    return "\n".join(lines)
