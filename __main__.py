"""The chatstack Pulumi program: one isolated event chat backend per stack."""

from pathlib import Path

import pulumi

from chatstack.config import read_pulumi_config
from chatstack.project import Project
from components import EventChatStack, EventChatStackArgs
from components.event_chat_stack import checked_plan

# Validate every chatstack:* key before a single resource is registered.
config = read_pulumi_config()
# Capacity plan (chatstack plan): an impossible plan stops here, naming the limit and what to change.
plan = checked_plan(config)
region = pulumi.Config("aws").require("region")

chat = EventChatStack(
    "chat",
    EventChatStackArgs(
        event=pulumi.get_stack(),
        region=region,
        config=config,
        project=pulumi.get_project(),
        plan=plan,
        files=Project(Path(__file__).resolve().parent),
    ),
)

for key, value in chat.outputs().items():
    pulumi.export(key, value)
pulumi.export("region", region)
