"""A conversation's activity log: who assigned, locked, changed the status or the labels, and when."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from parley.schemas.common import WireModel
from parley.schemas.conversations import ConversationStatus
from parley.schemas.people import Agent

ActivityKind = Literal["assigned", "unassigned", "locked", "unlocked", "status", "labels"]
ActorType = Literal["agent", "api", "visitor", "system"]


class ActivityActor(WireModel):
    type: ActorType = Field(
        description="`agent` (through the console's API), `api` (the External API), `visitor` (their message "
        "reopened the conversation) or `system` (a snooze ended, an auto-assignment)."
    )
    agent_id: str | None = Field(description="The agent, when `type` is `agent`.")
    name: str | None = Field(description="The agent's name, or the visitor's; null for `api` and `system`.")


class Activity(WireModel):
    id: str
    conversation_id: str
    kind: ActivityKind
    actor: ActivityActor
    agent: Agent | None = Field(description="`assigned`: who was assigned; `unassigned`: who was unassigned.")
    status: ConversationStatus | None = Field(description="`status`: the new status.")
    snoozed_until: int | None = Field(description="`status`: until when, for `snoozed`.")
    labels: list[str] | None = Field(description="`labels`: the new set, sorted.")
    created_at: int
    microseconds: int = Field(
        description="The conversation's message-order clock at the change: it places the entry among the messages."
    )
