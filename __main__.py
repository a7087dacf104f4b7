"""The chatstack Pulumi program: one isolated event chat backend per stack."""

from pathlib import Path

import pulumi

from chatstack.config import read_pulumi_config
from components import EventChatStack, EventChatStackArgs

# Validate every chatstack:* key before a single resource is registered (EventChatStack then
# checks the capacity plan: an impossible plan stops there, naming the limit and what to change).
config = read_pulumi_config()
region = pulumi.Config("aws").require("region")

chat = EventChatStack(
    "chat",
    EventChatStackArgs(
        event=pulumi.get_stack(),
        region=region,
        config=config,
        project=pulumi.get_project(),
        files_dir=str(Path(__file__).resolve().parent),
    ),
)

for key, value in chat.outputs().items():
    pulumi.export(key, value)
pulumi.export("region", region)
