"""Events: the frame a websocket or a webhook carries, and the names a webhook may subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from parley.schemas.common import WireModel
from parley.schemas.conversations import Conversation, Typing
from parley.schemas.messages import NOTE, Message
from parley.schemas.people import Agent


class EventFrame(WireModel):
    """One event, as a websocket frame or a webhook body."""

    event: str
    id: str
    workspace_id: str
    conversation_id: str | None
    microseconds: int = Field(description="Extension: the resume cursor; strictly increasing within a conversation.")
    created_at: int
    data: Any


WebhookEventName = Literal[
    "message.created",
    "message.status_changed",
    "conversation.created",
    "conversation.assigned",
    "conversation.unassigned",
    "conversation.locked",
    "conversation.unlocked",
    "conversation.status_changed",
    "conversation.labels_changed",
    "review.requested",
    "review.updated",
    "agent.status_changed",
    "end_user.erased",
]
# The names themselves (what typing.get_args gives), for checks outside pydantic.
WEBHOOK_EVENTS: frozenset[str] = frozenset(WebhookEventName.__args__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Routing:
    """Who an event is for, as typed fields beside its frame, so that fan-out never parses a frame to decide
    (parley/realtime/hub.py): the visitor whose conversation it is (a new conversation reaches their sockets), the
    agent it is about or by (a status, an assignment, their typing), and whether visitors may see it at all (never
    a note, nor the visitor's own typing)."""

    end_user_id: str | None = None
    agent_id: str | None = None
    agents_only: bool = False


def routing_of(data: BaseModel) -> Routing:
    """What routing the event's `data` calls for, read off the model it was rendered from."""
    if isinstance(data, Message):
        return Routing(agents_only=data.type == NOTE)
    if isinstance(data, Conversation):
        end_user, assigned = data.end_user, data.assigned_agent
        return Routing(end_user_id=end_user.id if end_user else None, agent_id=assigned.id if assigned else None)
    if isinstance(data, Agent):
        return Routing(agent_id=data.id)
    if isinstance(data, Typing):
        by_agent = data.author == "agent"
        return Routing(agent_id=data.author_id if by_agent else None, agents_only=not by_agent)
    return Routing()
