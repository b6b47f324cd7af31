"""Conversations: opening them, listing and counting them for the inbox, assigning agents, locking, setting their
status; each change is an event and an entry of the conversation's activity log (`parley.services.activity`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds, now_seconds
from parley.errors import conflict, not_found, validation_error
from parley.services import activity, bot
from parley.services.activity import Actor
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.paging import continue_after
from parley.services.people import find_agent, find_end_user
from parley.services.views import Views, load_related
from parley.storage.database import Transaction
from parley.storage.records import ConversationRecord, WorkspaceRecord
from parley.storage.repositories import conversations as repo
from parley.storage.repositories import messages as message_repo

if TYPE_CHECKING:  # messages open conversations through this module
    from parley.services.messages import HistoryWindow


async def create_conversation(
    svc: Services, workspace: WorkspaceRecord, request: schemas.CreateConversationRequest, *, views: Views
) -> schemas.Conversation:
    end_user = await find_end_user(svc, workspace.id, request.end_user_id)

    def create(tx: Transaction) -> schemas.Conversation:
        conversation = open_conversation(svc, tx, workspace, end_user.id)
        return views.conversation(conversation, load_related(tx.conn, conversations=[conversation]))

    return await svc.db.write(create)


def open_conversation(
    svc: Services, tx: Transaction, workspace: WorkspaceRecord, end_user_id: str
) -> ConversationRecord:
    """A new conversation of the end user with all that opening one does, in the caller's transaction: its
    `conversation.created` event, the auto-assignment (when the workspace has it on) and the bot's greeting (when
    it has one), so that a message the caller then writes there comes after the greeting."""
    now_us = now_microseconds()
    now = now_us // 1_000_000
    conversation = ConversationRecord(
        id=new_id(),
        workspace_id=workspace.id,
        end_user_id=end_user_id,
        assigned_agent_id=None,
        locked=False,
        status=OPEN,
        snoozed_until=None,
        waiting_since=None,
        last_microseconds=0,
        created_us=now_us,
        created_at=now,
        updated_at=now,
    )
    repo.add_conversation(tx.conn, **conversation.as_row())
    activity.announce(svc.public_views, tx, "conversation.created", [conversation], activity.SYSTEM)
    agent_id = bot.auto_assignee(tx.conn, workspace)
    if agent_id is not None:
        repo.update_conversation(tx.conn, conversation.id, assigned_agent_id=agent_id)
        conversation = replace(conversation, assigned_agent_id=agent_id)
        activity.announce(svc.public_views, tx, "conversation.assigned", [conversation], activity.SYSTEM)
    bot.greet(svc, tx, workspace, conversation)
    return conversation


async def get_conversation(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, *, views: Views
) -> schemas.Conversation:

    def load(conn: Connection) -> schemas.Conversation:
        conversation = find_conversation(conn, workspace.id, conversation_id)
        return views.conversation(conversation, load_related(conn, conversations=[conversation]))

    return await svc.db.read(load)


@dataclass(frozen=True, slots=True)
class ListFilters:
    """A listing's filters as a route received them; `filter_for` checks them. `status` is one status or several,
    comma-separated; `assignee` an agent id or `none`; `label` is normalised already (`schemas.Label`)."""

    status: str | None = None
    assignee: str | None = None
    label: str | None = None
    sort: schemas.ConversationSort = "newest"
    end_user_id: str | None = None
    agent_id: str | None = None


UNASSIGNED = "none"


def filter_for(filters: ListFilters) -> repo.ConversationFilter | None:
    """What storage filters on, or None when nothing can match (an assignee other than `agentId`). An unknown
    status is refused (422); an unknown assignee matches nothing, so it gives an empty list, not a 404."""
    statuses: tuple[str, ...] = ()
    if filters.status is not None:
        statuses = tuple(dict.fromkeys(part.strip() for part in filters.status.split(",")))
        unknown = [status for status in statuses if status not in schemas.CONVERSATION_STATUSES]
        if unknown:
            known = ", ".join(schemas.CONVERSATION_STATUSES)
            raise validation_error(f"status: {', '.join(map(repr, unknown))} is not one of {known}.")
    assignee = filters.assignee.lower() if filters.assignee is not None else None
    if filters.agent_id is not None:
        agent_id = check_id(filters.agent_id, "Agent")
        if assignee is not None and assignee != agent_id:
            return None
        assignee = agent_id
    return repo.ConversationFilter(
        statuses=statuses,
        end_user_id=check_id(filters.end_user_id, "End user") if filters.end_user_id is not None else None,
        assignee=None if assignee == UNASSIGNED else assignee,
        unassigned=assignee == UNASSIGNED,
        label=filters.label,
        sort=filters.sort,
    )


def _listed(
    conn: Connection, workspace_id: str, filters: ListFilters, after: str | None, limit: int
) -> list[ConversationRecord]:
    where = filter_for(filters)
    start = continue_after(after, partial(find_conversation, conn, workspace_id), lambda found: found)
    return [] if where is None else repo.list_conversations(conn, workspace_id, where, start, limit)


async def list_conversations(
    svc: Services, workspace: WorkspaceRecord, filters: ListFilters, after: str | None, limit: int, *, views: Views
) -> list[schemas.Conversation]:

    def load(conn: Connection) -> list[schemas.Conversation]:
        conversations = _listed(conn, workspace.id, filters, after, limit)
        related = load_related(conn, conversations=conversations)
        return [views.conversation(c, related) for c in conversations]

    return await svc.db.read(load)


async def count_conversations(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> schemas.ConversationCounts:
    """The console's folders: open ones of the agent and of nobody, and how many have each status."""

    def count(conn: Connection) -> schemas.ConversationCounts:
        by_status = repo.count_by_status(conn, workspace.id)
        return schemas.ConversationCounts(
            mine=repo.count_open_assigned(conn, workspace.id, agent_id),
            unassigned=repo.count_open_assigned(conn, workspace.id, None),
            **{status: by_status.get(status, 0) for status in schemas.CONVERSATION_STATUSES},
        )

    return await svc.db.read(count)


async def list_activity(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, window: HistoryWindow, limit: int
) -> list[schemas.Activity]:
    """A page of the conversation's activity log, for agents."""

    def load(conn: Connection) -> list[schemas.Activity]:
        conversation = find_conversation(conn, workspace.id, conversation_id)
        return activity.read_log(conn, svc.public_views, conversation, window, limit)

    return await svc.db.read(load)


async def assign_agent(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, agent_id: str, actor: Actor, *, views: Views
) -> schemas.Conversation:
    """Re-assigning the same agent is a no-op that still answers; an inactive agent cannot take conversations."""

    def decide(conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        agent = find_agent(conn, workspace.id, agent_id)
        if not agent.active:
            raise conflict("The agent is not active.")
        return None if conversation.assigned_agent_id == agent.id else {"assigned_agent_id": agent.id}

    return await change_conversation(svc, workspace, conversation_id, "conversation.assigned", decide, actor, views)


async def unassign_agent(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, actor: Actor, *, views: Views
) -> schemas.Conversation:
    def decide(_conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        return {"assigned_agent_id": None} if conversation.assigned_agent_id else None

    return await change_conversation(svc, workspace, conversation_id, "conversation.unassigned", decide, actor, views)


async def set_locked(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, locked: bool, actor: Actor, *, views: Views
) -> schemas.Conversation:
    def decide(_conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        return {"locked": locked} if conversation.locked != locked else None

    name = "conversation.locked" if locked else "conversation.unlocked"
    return await change_conversation(svc, workspace, conversation_id, name, decide, actor, views)


OPEN, SNOOZED = "open", "snoozed"


async def set_status(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    request: schemas.SetStatusRequest,
    actor: Actor,
    *,
    views: Views,
) -> schemas.Conversation:
    """`snoozedUntil` comes with `snoozed`, in the future, and with nothing else (else 422, nothing changed);
    leaving `snoozed` clears it. The same status again changes nothing (a new `snoozedUntil` is a change)."""
    until = request.snoozed_until
    if request.status == SNOOZED and until is None:
        raise validation_error("snoozedUntil is required with the status snoozed.")
    if request.status == SNOOZED and until is not None and until <= now_seconds():
        raise validation_error("snoozedUntil must be in the future.")
    if request.status != SNOOZED and until is not None:
        raise validation_error(f"snoozedUntil must be absent or null with the status {request.status}.")

    def decide(_conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        if (conversation.status, conversation.snoozed_until) == (request.status, until):
            return None
        return {"status": request.status, "snoozed_until": until}

    name = "conversation.status_changed"
    return await change_conversation(svc, workspace, conversation_id, name, decide, actor, views)


def find_conversation(
    conn: Connection, workspace_id: str, conversation_id: str, lock: bool = False
) -> ConversationRecord:
    conversation = repo.get_conversation(conn, workspace_id, check_id(conversation_id, "Conversation"), lock)
    if conversation is None:
        raise not_found("Conversation")
    return conversation


# Decides a change from the conversation as it is (its row locked): the columns to change, or None when there is
# nothing to do. It may write rows of its own beside them in the same transaction (a conversation's labels).
Decide = Callable[[Connection, ConversationRecord], dict[str, object] | None]


async def change_conversation(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    event_name: str,
    decide: Decide,
    actor: Actor,
    views: Views,
) -> schemas.Conversation:
    """Read and lock, decide, write the change with its event and activity entry, answer the new state."""

    def change(tx: Transaction) -> schemas.Conversation:
        before = find_conversation(tx.conn, workspace.id, conversation_id, lock=True)
        changes = decide(tx.conn, before)
        if changes is None:
            return views.conversation(before, load_related(tx.conn, conversations=[before]))
        repo.update_conversation(tx.conn, before.id, updated_at=now_seconds(), **changes)
        after = find_conversation(tx.conn, workspace.id, before.id)
        related = activity.announce(
            svc.public_views, tx, event_name, [after], actor, unassigned_agent_id=before.assigned_agent_id
        )
        return views.conversation(after, related)

    return await svc.db.write(change)


async def list_summaries(
    svc: Services, workspace: WorkspaceRecord, filters: ListFilters, after: str | None, limit: int, *, views: Views
) -> list[schemas.ConversationSummary]:
    """The console's list, filtered and ordered as the External API's: each conversation with its last message and
    its unread visitor messages."""

    def load(conn: Connection) -> list[schemas.ConversationSummary]:
        found = _listed(conn, workspace.id, filters, after, limit)
        ids = [c.id for c in found]
        last = message_repo.last_messages(conn, ids)
        unread = message_repo.unread_counts(conn, ids)
        related = load_related(conn, messages=last.values(), conversations=found)
        return [
            schemas.ConversationSummary(
                conversation=views.conversation(c, related),
                last_message=views.message(last[c.id], related) if c.id in last else None,
                unread_count=unread.get(c.id, 0),
            )
            for c in found
        ]

    return await svc.db.read(load)
