"""The event chat policy pack. Rules live in chatstack/policy/rules.py, shared with the
offline runner (`chatstack policy`); this file only builds the pack, which starts the
gRPC server the Pulumi engine talks to and blocks."""

import sys
from pathlib import Path

# The rule module is part of the repository (one directory up); it needs only pulumi_policy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from chatstack.policy.rules import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    # Each rule sets its own level; this applies only to a rule that does not.
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Event chat stacks: DynamoDB, AppSync, IAM, Cognito and tagging rules",
)
