"""Events: the frame a websocket or a webhook carries, and the names a webhook may subscribe to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from parley.schemas.common import WireModel


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
