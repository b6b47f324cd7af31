"""Conversations, the requests that open and assign them, a console's row, and typing indicators."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from parley.schemas.common import RequestModel, StorableStr, WireModel
from parley.schemas.messages import Message
from parley.schemas.people import Agent, EndUser


class Conversation(WireModel):
    id: str
    assigned_agent: Agent | None
    locked: bool
    end_user: EndUser | None = Field(default=None, description="Extension: the conversation's visitor.")
    created_at: int
    updated_at: int


class AssignAgentRequest(RequestModel):
    agent_id: StorableStr


class CreateConversationRequest(RequestModel):
    end_user_id: StorableStr


class ConversationSummary(WireModel):
    """A console's row: the conversation, its last message and how many visitor messages are unread."""

    conversation: Conversation
    last_message: Message | None
    unread_count: int


class Typing(WireModel):
    """The `data` of a `typing` event (an extension: relayed, never stored)."""

    conversation_id: str | None = Field(
        description="Null when a visitor types before their first message: there is no conversation yet, and nothing "
        "is relayed."
    )
    author: Literal["endUser", "agent"]
    author_id: str
    typing: bool


class TypingRequest(RequestModel):
    typing: Annotated[bool, Field(strict=True)]
