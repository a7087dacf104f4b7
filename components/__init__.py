"""Pulumi components of an event chat stack."""

from components.alarm_topic import AlarmTopic, AlarmTopicArgs
from components.batch_fanout import BatchFanout, BatchFanoutArgs
from components.chat_api import ChatApi, ChatApiArgs
from components.chat_archive import ChatArchive, ChatArchiveArgs
from components.chat_table import ChatTable, ChatTableArgs
from components.chat_user_pool import ChatUserPool, ChatUserPoolArgs
from components.chat_web_app import ChatWebApp, ChatWebAppArgs
from components.event_chat_stack import EventChatStack, EventChatStackArgs

# Every component, as the package schema lists them (provider/__main__.py, `pulumi package add`).
COMPONENTS = (EventChatStack, ChatUserPool, ChatTable, ChatApi, BatchFanout, ChatArchive, AlarmTopic, ChatWebApp)

__all__ = [
    "COMPONENTS",
    "AlarmTopic",
    "AlarmTopicArgs",
    "BatchFanout",
    "BatchFanoutArgs",
    "ChatArchive",
    "ChatArchiveArgs",
    "ChatApi",
    "ChatApiArgs",
    "ChatTable",
    "ChatTableArgs",
    "ChatUserPool",
    "ChatUserPoolArgs",
    "ChatWebApp",
    "ChatWebAppArgs",
    "EventChatStack",
    "EventChatStackArgs",
]
