"""A conversation's changes: each is one event and one entry of the conversation's activity log, written together in
the change's transaction, and the log read back for the console (oldest first, among the messages).

Who made a change is its `Actor`: the External API (`api`), an agent through the console's API, the visitor (their
message reopened the conversation) or Parley itself (`system`: a snooze ended, an auto-assignment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.services.events import emit_conversation_event
from parley.services.ids import new_id
from parley.services.views import Related, Views, load_related
from parley.storage.database import Transaction
from parley.storage.records import ActivityRecord, ConversationRecord
from parley.storage.repositories import activity as activity_repo
from parley.storage.repositories import people as people_repo

if TYPE_CHECKING:  # the services container builds the writer with the reopening, which announces here
    from parley.services.messages import HistoryWindow


@dataclass(frozen=True, slots=True)
class Actor:
    type: schemas.ActorType
    agent_id: str | None = None


API = Actor("api")
VISITOR = Actor("visitor")
SYSTEM = Actor("system")


def agent(agent_id: str) -> Actor:
    return Actor("agent", agent_id)


# The events that are changes an agent wants to see in the log, and the kind of entry each makes
_KINDS: dict[str, schemas.ActivityKind] = {
    "conversation.assigned": "assigned",
    "conversation.unassigned": "unassigned",
    "conversation.locked": "locked",
    "conversation.unlocked": "unlocked",
    "conversation.status_changed": "status",
    "conversation.labels_changed": "labels",
}


def announce(
    views: Views,
    tx: Transaction,
    event_name: str,
    conversations: Sequence[ConversationRecord],
    actor: Actor,
    unassigned_agent_id: str | None = None,
) -> Related:
    """Each conversation's event (its public view after the change) and, for the changes the log keeps, its entry
    at the event's `microseconds`; returns what rendering them needed (loaded once for all of them).
    `unassigned_agent_id`: who an unassignment removed, which the conversation after it no longer says."""
    related = load_related(tx.conn, conversations=conversations)
    kind = _KINDS.get(event_name)
    for conversation in conversations:
        public = views.conversation(conversation, related)
        microseconds = emit_conversation_event(tx, event_name, conversation.workspace_id, conversation.id, public)
        if kind is None:
            continue
        activity_repo.add_activity(
            tx.conn,
            id=new_id(),
            conversation_id=conversation.id,
            kind=kind,
            actor_type=actor.type,
            actor_agent_id=actor.agent_id,
            agent_id={"assigned": conversation.assigned_agent_id, "unassigned": unassigned_agent_id}.get(kind),
            status=conversation.status if kind == "status" else None,
            snoozed_until=conversation.snoozed_until if kind == "status" else None,
            labels=public.labels if kind == "labels" else None,
            microseconds=microseconds,
            created_at=microseconds // 1_000_000,
        )
    return related


def read_log(
    conn: Connection, views: Views, conversation: ConversationRecord, window: HistoryWindow, limit: int
) -> list[schemas.Activity]:
    """A page of the conversation's log, ascending, paged as its history is (`after` or `before` a
    `microseconds`), with the agents it names and the visitor's name loaded in a few batched queries."""
    entries = activity_repo.activity_page(conn, conversation.id, limit, after=window.after, before=window.before)
    agent_ids = {i for e in entries for i in (e.actor_agent_id, e.agent_id) if i}
    agents = people_repo.agents_by_id(conn, agent_ids).values()
    related = load_related(conn, conversations=[conversation], agents=agents)
    visitor = related.end_users.get(conversation.end_user_id)
    return [_entry(views, e, related, visitor.name if visitor else None) for e in entries]


def _entry(views: Views, entry: ActivityRecord, related: Related, visitor_name: str | None) -> schemas.Activity:
    actor_agent = related.agents.get(entry.actor_agent_id) if entry.actor_agent_id else None
    subject = related.agents.get(entry.agent_id) if entry.agent_id else None
    name = actor_agent.name if actor_agent else visitor_name if entry.actor_type == "visitor" else None
    return schemas.Activity(
        id=entry.id,
        conversation_id=entry.conversation_id,
        kind=entry.kind,
        actor=schemas.ActivityActor(type=entry.actor_type, agent_id=entry.actor_agent_id, name=name),
        agent=views.agent(subject, related) if subject else None,
        status=entry.status,
        snoozed_until=entry.snoozed_until,
        labels=entry.labels,
        created_at=entry.created_at,
        microseconds=entry.microseconds,
    )
