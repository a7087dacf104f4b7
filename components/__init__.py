"""Pulumi components of an event chat stack."""

from components.chat_api import ChatApi, ChatApiArgs
from components.chat_table import ChatTable, ChatTableArgs
from components.chat_user_pool import ChatUserPool, ChatUserPoolArgs
from components.event_chat_stack import EventChatStack, EventChatStackArgs

__all__ = [
    "ChatApi",
    "ChatApiArgs",
    "ChatTable",
    "ChatTableArgs",
    "ChatUserPool",
    "ChatUserPoolArgs",
    "EventChatStack",
    "EventChatStackArgs",
]
