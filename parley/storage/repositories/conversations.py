"""Conversations, and the allocation of their messages' `microseconds`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Update, bindparam, case, func, insert, select, true, update

from parley.storage.models import Agent, Conversation
from parley.storage.records import ConversationRecord, ConversationRef
from parley.storage.repositories._query import fetch_all, fetch_one, keyset_after, one


def add_conversation(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Conversation).values(**values))


def get_conversation(conn: Connection, workspace_id: str, conversation_id: str) -> ConversationRecord | None:
    stmt = select(Conversation).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
    return fetch_one(conn, stmt, ConversationRecord)


_CONVERSATION_BY_ID = select(Conversation).where(Conversation.id == bindparam("conversation_id"))
_LATEST_OPEN_OF_END_USER = (
    select(Conversation)
    .where(Conversation.end_user_id == bindparam("end_user_id"), Conversation.locked.is_(False))
    .order_by(Conversation.created_us.desc())
    .limit(1)
)


def conversation_ref(conn: Connection, conversation_id: str) -> ConversationRef | None:
    """For caches keyed by id alone: the caller checks the workspace."""
    return one(conn, _CONVERSATION_BY_ID, ConversationRef, conversation_id=conversation_id)


def list_conversations(
    conn: Connection,
    workspace_id: str,
    after: tuple[int, str] | None,
    limit: int,
    end_user_id: str | None = None,
    assigned_agent_id: str | None = None,
) -> list[ConversationRecord]:
    """Newest first, by creation time in microseconds."""
    stmt = select(Conversation).where(Conversation.workspace_id == workspace_id)
    if end_user_id is not None:
        stmt = stmt.where(Conversation.end_user_id == end_user_id)
    if assigned_agent_id is not None:
        stmt = stmt.where(Conversation.assigned_agent_id == assigned_agent_id)
    stmt = keyset_after(stmt, [Conversation.created_us, Conversation.id], after, descending=True).limit(limit)
    return fetch_all(conn, stmt, ConversationRecord)


_LATEST_OPEN_OF_END_USER_LOCKED = _LATEST_OPEN_OF_END_USER.with_for_update()


def latest_open_conversation_of(
    conn: Connection, workspace_id: str, end_user_id: str, lock: bool = False
) -> ConversationRef | None:
    """The end user's newest conversation that is not locked. By the end user alone, so the (end user, created)
    index serves it, newest first, skipping the locked ones (a visitor has a few): with the workspace in the WHERE
    too, SQLite walked the workspace's conversations newest first, one per conversation in the workspace.

    With `lock` (PostgreSQL), its row is held until the transaction ends: it cannot be locked before the message the
    caller writes there is."""
    stmt = _LATEST_OPEN_OF_END_USER_LOCKED if lock else _LATEST_OPEN_OF_END_USER
    found = one(conn, stmt, ConversationRef, end_user_id=end_user_id)
    return found if found is not None and found.workspace_id == workspace_id else None


def conversation_ids_of(conn: Connection, workspace_id: str, end_user_id: str) -> list[str]:
    stmt = select(Conversation.id).where(
        Conversation.workspace_id == workspace_id, Conversation.end_user_id == end_user_id
    )
    return [row[0] for row in conn.execute(stmt)]


def assigned_agent_ids(conn: Connection, conversation_ids: list[str]) -> set[str]:
    if not conversation_ids:
        return set()
    stmt = select(Conversation.assigned_agent_id).where(
        Conversation.id.in_(conversation_ids), Conversation.assigned_agent_id.is_not(None)
    )
    return {str(row[0]) for row in conn.execute(stmt)}


def update_conversation(conn: Connection, conversation_id: str, **values: Any) -> None:
    conn.execute(update(Conversation).where(Conversation.id == conversation_id).values(**values))


def _allocation(refuse_locked: bool) -> Update:
    """Built once: statement construction is a measurable part of every batch."""
    last = Conversation.last_microseconds
    count, floor = bindparam("count", type_=BigInteger), bindparam("floor", type_=BigInteger)
    return (
        update(Conversation)
        .where(
            Conversation.id == bindparam("conversation_id"), Conversation.locked.is_(False) if refuse_locked else true()
        )
        .values(last_microseconds=case((last + count > floor, last + count), else_=floor))
        .returning(Conversation.last_microseconds)
    )


_ALLOCATE_FOR_MESSAGES = _allocation(refuse_locked=True)
_ALLOCATE_FOR_EVENTS = _allocation(refuse_locked=False)


def allocate_microseconds(conn: Connection, conversation_id: str, count: int, now_us: int) -> int | None:
    """Reserve `count` consecutive positions after the conversation's last one, never before `now_us`.

    Returns the first, or None when the conversation is locked. The UPDATE takes the row lock, so on
    PostgreSQL concurrent writers of one conversation commit in the order of the positions they hold.
    """
    params = {"conversation_id": conversation_id, "count": count, "floor": now_us + count - 1}
    new_last = conn.execute(_ALLOCATE_FOR_MESSAGES, params).scalar_one_or_none()
    return None if new_last is None else int(new_last) - count + 1


def allocate_event_microseconds(conn: Connection, conversation_id: str, now_us: int) -> int:
    """One position for a conversation event (an assignment, a lock, a read receipt): locked or not."""
    params = {"conversation_id": conversation_id, "count": 1, "floor": now_us}
    return int((conn.execute(_ALLOCATE_FOR_EVENTS, params)).scalar_one())


def least_busy_online_agent(conn: Connection, workspace_id: str) -> str | None:
    """The online, active agent with the fewest open (unlocked) conversations; ties go to the earliest created."""
    open_conversations = func.count(Conversation.id)
    stmt = (
        select(Agent.id)
        .outerjoin(Conversation, (Conversation.assigned_agent_id == Agent.id) & Conversation.locked.is_(False))
        .where(Agent.workspace_id == workspace_id, Agent.status == "online", Agent.active.is_(True))
        .group_by(Agent.id, Agent.created_us)
        .order_by(open_conversations, Agent.created_us, Agent.id)
        .limit(1)
    )
    found = (conn.execute(stmt)).scalar()
    return None if found is None else str(found)
