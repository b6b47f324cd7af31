"""Conversations, the requests that open, assign and set their status, a console's row and its folders' counts, and
typing indicators."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from parley.schemas.common import MAX_CURSOR, RequestModel, StorableStr, WireModel
from parley.schemas.messages import Message
from parley.schemas.people import Agent, EndUser

ConversationStatus = Literal["open", "pending", "snoozed", "resolved"]
CONVERSATION_STATUSES: tuple[str, ...] = ConversationStatus.__args__  # type: ignore[attr-defined]
ConversationSort = Literal["newest", "waiting"]


class Conversation(WireModel):
    id: str
    assigned_agent: Agent | None
    locked: bool
    status: ConversationStatus = Field(
        description="Extension: `open` when new, and again when the visitor writes or a snooze ends; set with "
        "`POST /conversation/{id}/status`. Each change is a `conversation.status_changed` event."
    )
    snoozed_until: int | None = Field(description="Extension: unix seconds a `snoozed` conversation reopens at.")
    labels: list[str] = Field(description="Extension: the conversation's labels, sorted.")
    waiting_since: int | None = Field(
        description="Extension: unix seconds of the visitor's first message since an agent last answered with "
        "text or a file; null when nobody waits. Bot messages and notes change nothing."
    )
    end_user: EndUser | None = Field(default=None, description="Extension: the conversation's visitor.")
    created_at: int
    updated_at: int


class SetStatusRequest(RequestModel):
    status: ConversationStatus
    snoozed_until: Annotated[int, Field(strict=True, ge=0, le=MAX_CURSOR)] | None = Field(
        default=None,
        description="Unix seconds, in the future: required with `snoozed`, absent or null with any other status.",
    )


class ConversationCounts(WireModel):
    """The console's inbox folders: `mine` and `unassigned` count open conversations (assigned to the caller, to
    nobody); the other four count the conversations in that status."""

    mine: int
    unassigned: int
    open: int
    pending: int
    snoozed: int
    resolved: int


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
