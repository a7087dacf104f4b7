"""chatstack: per-event real-time chat backends on AWS, provisioned with Pulumi."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
