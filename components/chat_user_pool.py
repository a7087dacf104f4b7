"""Cognito user pool, public app client and moderators group for an event's chat users."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.transforms import TransformArgs, apply_transform, check_roles

MODERATORS_GROUP = "moderators"
MIN_PASSWORD_LENGTH = 12


@dataclass
class ChatUserPoolArgs:
    physical_name: str
    tags: dict[str, str]
    deletion_protection: bool = True
    # USER_PASSWORD_AUTH sends the password itself; only scripts and tests of
    # development stacks want it. SRP and refresh-token flows are always on.
    allow_password_auth: bool = False
    # False: only administrators create users (staff; attendees come from the event platform).
    self_sign_up: bool = True
    # An SES verified identity to send verification and recovery email through (DEVELOPER):
    # Cognito's built-in sender allows 50 emails a day per account.
    ses_email_identity_arn: str | None = None
    # Every user must set up a TOTP authenticator (MFA ON) rather than opt in: production staff
    # pools, whose users can delete messages and ban attendees.
    require_mfa: bool = False
    transform: TransformArgs | None = None


class ChatUserPool(pulumi.ComponentResource):
    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    client_id: pulumi.Output[str]

    ROLES = {"userPool", "client", "moderatorsGroup"}

    def __init__(self, name: str, args: ChatUserPoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatstack:index:ChatUserPool", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatUserPool")

        pool_opts = pulumi.ResourceOptions(
            parent=self, protect=args.deletion_protection, retain_on_delete=args.deletion_protection
        )
        pool_args = apply_transform(
            args.transform,
            "userPool",
            {
                "name": args.physical_name,
                "alias_attributes": ["email"],
                # "Bob" and "bob" (and their email aliases) are one user: no look-alike accounts.
                # Cognito sets this only when a pool is created: changing it makes Pulumi replace
                # the pool (a new, empty pool); protected production pools refuse that instead.
                "username_configuration": {"case_sensitive": False},
                "auto_verified_attributes": ["email"],
                "password_policy": {
                    "minimum_length": MIN_PASSWORD_LENGTH,
                    "require_lowercase": True,
                    "require_uppercase": True,
                    "require_numbers": True,
                    "require_symbols": True,
                    "temporary_password_validity_days": 3,
                },
                "account_recovery_setting": {
                    "recovery_mechanisms": [{"name": "verified_email", "priority": 1}],
                },
                "mfa_configuration": "ON" if args.require_mfa else "OPTIONAL",
                "software_token_mfa_configuration": {"enabled": True},
                "deletion_protection": "ACTIVE" if args.deletion_protection else "INACTIVE",
                "admin_create_user_config": {"allow_admin_create_user_only": not args.self_sign_up},
                "email_configuration": (
                    {"email_sending_account": "DEVELOPER", "source_arn": args.ses_email_identity_arn}
                    if args.ses_email_identity_arn else {"email_sending_account": "COGNITO_DEFAULT"}
                ),
                "tags": args.tags,
            },
            pool_opts,
        )
        pool = aws.cognito.UserPool(f"{name}-pool", **pool_args, opts=pool_opts)

        flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        if args.allow_password_auth:
            flows.append("ALLOW_USER_PASSWORD_AUTH")
        client_opts = pulumi.ResourceOptions(parent=self)
        client_args = apply_transform(
            args.transform,
            "client",
            {
                "name": f"{args.physical_name}-web",
                "user_pool_id": pool.id,
                "generate_secret": False,  # public client: browsers and apps cannot keep a secret
                "explicit_auth_flows": flows,
                "prevent_user_existence_errors": "ENABLED",
                "enable_token_revocation": True,
                "read_attributes": ["email", "email_verified", "preferred_username"],
                "write_attributes": ["email", "preferred_username"],
                "access_token_validity": 60,
                "id_token_validity": 60,
                "refresh_token_validity": 30,
                "token_validity_units": {"access_token": "minutes", "id_token": "minutes", "refresh_token": "days"},
            },
            client_opts,
        )
        client = aws.cognito.UserPoolClient(f"{name}-client", **client_args, opts=client_opts)

        group_opts = pulumi.ResourceOptions(parent=self)
        group_args = apply_transform(
            args.transform,
            "moderatorsGroup",
            {
                "name": MODERATORS_GROUP,
                "user_pool_id": pool.id,
                "description": "Chat moderators: may read any sender's messages.",
                "precedence": 1,
            },
            group_opts,
        )
        aws.cognito.UserGroup(f"{name}-moderators", **group_args, opts=group_opts)

        self.user_pool_id = pool.id
        self.user_pool_arn = pool.arn
        self.client_id = client.id
        self.register_outputs(
            {"userPoolId": self.user_pool_id, "userPoolArn": self.user_pool_arn, "clientId": self.client_id}
        )
