"""Conversations: opening them, assigning agents, locking; each change is an event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds, now_seconds
from parley.errors import conflict, not_found
from parley.services import bot
from parley.services.context import Services
from parley.services.events import emit_conversation_event
from parley.services.ids import check_id, new_id
from parley.services.paging import continue_after
from parley.services.people import find_agent, find_end_user
from parley.services.views import Related, Views, load_related
from parley.storage.database import Transaction
from parley.storage.records import ConversationRecord, WorkspaceRecord
from parley.storage.repositories import conversations as repo
from parley.storage.repositories import messages as message_repo


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
        last_microseconds=0,
        created_us=now_us,
        created_at=now,
        updated_at=now,
    )
    repo.add_conversation(tx.conn, **conversation.as_row())
    _emit(svc, tx, conversation, "conversation.created")
    agent_id = bot.auto_assignee(tx.conn, workspace)
    if agent_id is not None:
        repo.update_conversation(tx.conn, conversation.id, assigned_agent_id=agent_id)
        conversation = replace(conversation, assigned_agent_id=agent_id)
        _emit(svc, tx, conversation, "conversation.assigned")
    bot.greet(svc, tx, workspace, conversation)
    return conversation


async def get_conversation(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, *, views: Views
) -> schemas.Conversation:

    def load(conn: Connection) -> schemas.Conversation:
        conversation = find_conversation(conn, workspace.id, conversation_id)
        return views.conversation(conversation, load_related(conn, conversations=[conversation]))

    return await svc.db.read(load)


async def list_conversations(
    svc: Services,
    workspace: WorkspaceRecord,
    after: str | None,
    limit: int,
    end_user_id: str | None,
    agent_id: str | None,
    *,
    views: Views,
) -> list[schemas.Conversation]:

    def load(conn: Connection) -> list[schemas.Conversation]:
        conversations = repo.list_conversations(
            conn,
            workspace.id,
            _page_after(conn, workspace.id, after),
            limit,
            end_user_id=check_id(end_user_id, "End user") if end_user_id else None,
            assigned_agent_id=check_id(agent_id, "Agent") if agent_id else None,
        )
        related = load_related(conn, conversations=conversations)
        return [views.conversation(c, related) for c in conversations]

    return await svc.db.read(load)


async def assign_agent(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, agent_id: str, *, views: Views
) -> schemas.Conversation:
    """Re-assigning the same agent is a no-op that still answers; an inactive agent cannot take conversations."""

    def check(conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        agent = find_agent(conn, workspace.id, agent_id)
        if not agent.active:
            raise conflict("The agent is not active.")
        return None if conversation.assigned_agent_id == agent.id else {"assigned_agent_id": agent.id}

    return await _change(svc, workspace, conversation_id, "conversation.assigned", check, views)


async def unassign_agent(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, *, views: Views
) -> schemas.Conversation:
    def check(_conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        return {"assigned_agent_id": None} if conversation.assigned_agent_id else None

    return await _change(svc, workspace, conversation_id, "conversation.unassigned", check, views)


async def set_locked(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, locked: bool, *, views: Views
) -> schemas.Conversation:
    def check(_conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        return {"locked": locked} if conversation.locked != locked else None

    name = "conversation.locked" if locked else "conversation.unlocked"
    return await _change(svc, workspace, conversation_id, name, check, views)


def find_conversation(conn: Connection, workspace_id: str, conversation_id: str) -> ConversationRecord:
    conversation = repo.get_conversation(conn, workspace_id, check_id(conversation_id, "Conversation"))
    if conversation is None:
        raise not_found("Conversation")
    return conversation


def _page_after(conn: Connection, workspace_id: str, after: str | None) -> tuple[int, str] | None:
    """Listings of conversations are newest first, by (created_us, id)."""
    return continue_after(after, partial(find_conversation, conn, workspace_id), lambda c: (c.created_us, c.id))


ChangeCheck = Callable[[Connection, ConversationRecord], dict[str, object] | None]


async def _change(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, event_name: str, check: ChangeCheck, views: Views
) -> schemas.Conversation:
    """Read, decide the change (None: nothing to do), write it with its event, answer the new state."""

    def change(tx: Transaction) -> schemas.Conversation:
        conversation = find_conversation(tx.conn, workspace.id, conversation_id)
        changes = check(tx.conn, conversation)
        if changes is None:
            return views.conversation(conversation, load_related(tx.conn, conversations=[conversation]))
        repo.update_conversation(tx.conn, conversation.id, updated_at=now_seconds(), **changes)
        conversation = find_conversation(tx.conn, workspace.id, conversation.id)
        return views.conversation(conversation, _emit(svc, tx, conversation, event_name))

    return await svc.db.write(change)


def _emit(svc: Services, tx: Transaction, conversation: ConversationRecord, event_name: str) -> Related:
    """The event carries the public view (agents and webhooks read it); returns what rendering it needed."""
    related = load_related(tx.conn, conversations=[conversation])
    public = svc.public_views.conversation(conversation, related)
    emit_conversation_event(tx, event_name, conversation.workspace_id, conversation.id, public)
    return related


async def list_summaries(
    svc: Services, workspace: WorkspaceRecord, after: str | None, limit: int, *, views: Views
) -> list[schemas.ConversationSummary]:
    """The console's list: each conversation with its last message and its unread visitor messages."""

    def load(conn: Connection) -> list[schemas.ConversationSummary]:
        found = repo.list_conversations(conn, workspace.id, _page_after(conn, workspace.id, after), limit)
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
