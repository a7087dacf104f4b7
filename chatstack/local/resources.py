"""The stack's table, user pool, app client and groups, read from the resources the program
registered and made in moto (or found there, as a kept state restored them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatstack.local.errors import LocalStackError
from chatstack.offline.evaluation import ProgramRun, RegisteredResource

TABLE = "aws:dynamodb/table:Table"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
USER_GROUP = "aws:cognito/userGroup:UserGroup"


def _int(value: Any) -> int:
    return int(float(value))


def table_definition(table: RegisteredResource) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """CreateTable arguments and the TTL specification, from a registered Table's inputs."""
    i = table.inputs
    key_schema = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
    if i.get("rangeKey"):
        key_schema.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
    provisioned = i.get("billingMode") == "PROVISIONED"
    args: dict[str, Any] = {
        "TableName": i["name"],
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
        "KeySchema": key_schema,
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        args["ProvisionedThroughput"] = {
            "ReadCapacityUnits": _int(i.get("readCapacity", 5)),
            "WriteCapacityUnits": _int(i.get("writeCapacity", 5)),
        }

    def projection(index: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = {"ProjectionType": index.get("projectionType", "ALL")}
        if index.get("nonKeyAttributes"):
            spec["NonKeyAttributes"] = list(index["nonKeyAttributes"])
        return spec

    gsis = []
    for index in i.get("globalSecondaryIndexes") or []:
        if index.get("keySchemas"):
            keys = [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]]
        else:  # the deprecated hashKey/rangeKey form
            keys = [{"AttributeName": index["hashKey"], "KeyType": "HASH"}]
            if index.get("rangeKey"):
                keys.append({"AttributeName": index["rangeKey"], "KeyType": "RANGE"})
        gsi: dict[str, Any] = {"IndexName": index["name"], "KeySchema": keys, "Projection": projection(index)}
        if provisioned:
            gsi["ProvisionedThroughput"] = {
                "ReadCapacityUnits": _int(index.get("readCapacity", 5)),
                "WriteCapacityUnits": _int(index.get("writeCapacity", 5)),
            }
        gsis.append(gsi)
    if gsis:
        args["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {
            "IndexName": index["name"],
            "KeySchema": [
                {"AttributeName": i["hashKey"], "KeyType": "HASH"},
                {"AttributeName": index["rangeKey"], "KeyType": "RANGE"},
            ],
            "Projection": projection(index),
        }
        for index in i.get("localSecondaryIndexes") or []
    ]
    if lsis:
        args["LocalSecondaryIndexes"] = lsis
    if i.get("streamEnabled"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": i["streamViewType"]}
    ttl = i.get("ttl") or {}
    ttl_spec = {"Enabled": True, "AttributeName": ttl["attributeName"]} if ttl.get("enabled") else None
    return args, ttl_spec


def user_pool_definition(pool: RegisteredResource) -> dict[str, Any]:
    i = pool.inputs
    args: dict[str, Any] = {"PoolName": i["name"]}
    policy = i.get("passwordPolicy")
    if policy:
        password: dict[str, Any] = {}
        for source, target in (
            ("minimumLength", "MinimumLength"),
            ("temporaryPasswordValidityDays", "TemporaryPasswordValidityDays"),
        ):
            if source in policy:
                password[target] = _int(policy[source])
        for source, target in (
            ("requireUppercase", "RequireUppercase"),
            ("requireLowercase", "RequireLowercase"),
            ("requireNumbers", "RequireNumbers"),
            ("requireSymbols", "RequireSymbols"),
        ):
            if source in policy:
                password[target] = bool(policy[source])
        args["Policies"] = {"PasswordPolicy": password}
    for source, target in (
        ("aliasAttributes", "AliasAttributes"),
        ("usernameAttributes", "UsernameAttributes"),
        ("autoVerifiedAttributes", "AutoVerifiedAttributes"),
    ):
        if i.get(source):
            args[target] = list(i[source])
    recovery = (i.get("accountRecoverySetting") or {}).get("recoveryMechanisms")
    if recovery:
        args["AccountRecoverySetting"] = {
            "RecoveryMechanisms": [{"Name": m["name"], "Priority": _int(m["priority"])} for m in recovery]
        }
    admin_only = (i.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly")
    if admin_only is not None:
        # Recorded, not enforced: moto lets SignUp through anyway (docs/local-stack.md: local differences).
        args["AdminCreateUserConfig"] = {"AllowAdminCreateUserOnly": bool(admin_only)}
    if i.get("tags"):
        args["UserPoolTags"] = dict(i["tags"])
    return args


def user_pool_client_definition(client: RegisteredResource, user_pool_id: str) -> dict[str, Any]:
    i = client.inputs
    args: dict[str, Any] = {
        "UserPoolId": user_pool_id,
        "ClientName": i["name"],
        "GenerateSecret": bool(i.get("generateSecret", False)),
    }
    for source, target in (
        ("explicitAuthFlows", "ExplicitAuthFlows"),
        ("readAttributes", "ReadAttributes"),
        ("writeAttributes", "WriteAttributes"),
    ):
        if i.get(source):
            args[target] = list(i[source])
    if i.get("preventUserExistenceErrors"):
        args["PreventUserExistenceErrors"] = i["preventUserExistenceErrors"]
    if "enableTokenRevocation" in i:
        args["EnableTokenRevocation"] = bool(i["enableTokenRevocation"])
    for source, target in (
        ("accessTokenValidity", "AccessTokenValidity"),
        ("idTokenValidity", "IdTokenValidity"),
        ("refreshTokenValidity", "RefreshTokenValidity"),
    ):
        if source in i:
            args[target] = _int(i[source])
    units = i.get("tokenValidityUnits")
    if units:
        args["TokenValidityUnits"] = {
            target: units[source]
            for source, target in (("accessToken", "AccessToken"), ("idToken", "IdToken"),
                                   ("refreshToken", "RefreshToken"))
            if source in units
        }
    return args


@dataclass
class Materialised:
    table_name: str
    user_pool_id: str
    client_id: str
    groups: list[str]
    region: str
    # What of a kept state was brought in line with the stack's config (printed at start).
    followed: tuple[str, ...] = ()


def _same_table(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def keys(spec: dict[str, Any]) -> Any:
        indexes = {i["IndexName"]: i["KeySchema"] for i in spec.get("GlobalSecondaryIndexes") or []}
        indexes.update({i["IndexName"]: i["KeySchema"] for i in spec.get("LocalSecondaryIndexes") or []})
        return spec["KeySchema"], indexes

    return keys(existing) == keys(wanted)


def materialise(run: ProgramRun, dynamodb: Any, cognito: Any) -> Materialised:
    """Create the registered table, user pool, client and groups in (moto's) AWS APIs, or
    reuse them as a kept state (--state-dir) restored them: same names, same ids."""
    table = run.one(TABLE)
    create_table, ttl = table_definition(table)
    table_name = create_table["TableName"]
    if table_name in dynamodb.list_tables()["TableNames"]:
        existing = dynamodb.describe_table(TableName=table_name)["Table"]
        if not _same_table(existing, create_table):
            raise LocalStackError(f"the kept state's table {table_name} has other keys or indexes than the "
                                  "stack defines now: start with --fresh (its items are lost) or another --state-dir")
    else:
        dynamodb.create_table(**create_table)
        if ttl:
            dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)

    pool = run.one(USER_POOL)
    pool_args = user_pool_definition(pool)
    kept_pools = [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
                  if p["Name"] == pool_args["PoolName"]]
    pool_id = kept_pools[0] if kept_pools else cognito.create_user_pool(**pool_args)["UserPool"]["Id"]
    followed = follow_pool_config(cognito, pool_id, pool_args) if kept_pools else []
    clients = [c for c in run.of_type(USER_POOL_CLIENT) if c.inputs.get("userPoolId") == pool.id]
    if len(clients) != 1:
        raise LocalStackError(f"expected one client of user pool {pool.name}, found {len(clients)}")
    client_args = user_pool_client_definition(clients[0], pool_id)
    kept_clients = [c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
                    ["UserPoolClients"] if c["ClientName"] == client_args["ClientName"]]
    client_id = kept_clients[0] if kept_clients else (
        cognito.create_user_pool_client(**client_args)["UserPoolClient"]["ClientId"])
    if kept_clients:
        followed += follow_client_config(cognito, pool_id, client_id, client_args)
    kept_groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    groups = []
    for group in run.of_type(USER_GROUP):
        if group.inputs.get("userPoolId") != pool.id:
            continue
        args: dict[str, Any] = {"GroupName": group.inputs["name"], "UserPoolId": pool_id}
        if group.inputs.get("description"):
            args["Description"] = group.inputs["description"]
        if "precedence" in group.inputs:
            args["Precedence"] = _int(group.inputs["precedence"])
        if args["GroupName"] not in kept_groups:
            cognito.create_group(**args)
        groups.append(group.inputs["name"])
    return Materialised(
        table_name=table_name,
        user_pool_id=pool_id,
        client_id=client_id,
        groups=groups,
        region=str(run.outputs.get("region") or run.config.get("aws:region", "us-east-1")),
        followed=tuple(followed),
    )


# What `pulumi up` would change on a live pool in place, and what makes it replace the pool.
POOL_SETTINGS_IN_PLACE = ("Policies", "AutoVerifiedAttributes", "AccountRecoverySetting", "AdminCreateUserConfig",
                          "UserPoolTags")
POOL_SETTINGS_FIXED = ("UsernameAttributes", "AliasAttributes")


def _differs(kept: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return sorted(map(str, kept or [])) != sorted(map(str, wanted))
    if isinstance(wanted, dict):
        return any(_differs((kept or {}).get(k), v) for k, v in wanted.items())
    return kept != wanted


def follow_pool_config(cognito: Any, pool_id: str, wanted: dict[str, Any]) -> list[str]:
    """A kept pool brought in line with the stack's config as `pulumi up` would (its users stay);
    LocalStackError, naming --fresh, for what Cognito cannot change on an existing pool."""
    kept = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    fixed = [key for key in POOL_SETTINGS_FIXED if _differs(kept.get(key), wanted.get(key, []))]
    if fixed:
        raise LocalStackError(
            f"the kept state's user pool has other {', '.join(fixed)} than the stack defines now, which Cognito "
            "cannot change on an existing pool: start with --fresh (its users are lost) or another --state-dir")
    changed = [key for key in POOL_SETTINGS_IN_PLACE if key in wanted and _differs(kept.get(key), wanted[key])]
    if changed:
        cognito.update_user_pool(UserPoolId=pool_id, **{k: wanted[k] for k in POOL_SETTINGS_IN_PLACE if k in wanted})
        return [f"user pool {', '.join(changed)} follow the stack's config now (kept users stay)"]
    return []


def follow_client_config(cognito: Any, pool_id: str, client_id: str, wanted: dict[str, Any]) -> list[str]:
    """A kept app client brought in line with the stack's config (auth flows, attributes, token
    lifetimes), as `pulumi up` would; its id stays, so issued tokens and outputs stay valid."""
    kept = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    if bool(kept.get("ClientSecret")) != bool(wanted.get("GenerateSecret")):
        raise LocalStackError("the kept state's app client differs in having a secret, which Cognito cannot change: "
                              "start with --fresh (its users are lost) or another --state-dir")
    settings = {k: v for k, v in wanted.items() if k not in ("UserPoolId", "GenerateSecret")}
    changed = [key for key, value in settings.items() if key != "ClientName" and _differs(kept.get(key), value)]
    if not changed:
        return []
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **settings)
    return [f"app client {', '.join(changed)} follow the stack's config now (same client id)"]
