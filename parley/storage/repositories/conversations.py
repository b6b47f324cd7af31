"""Conversations: the inbox's lists and counts, status changes, and the allocation of their messages'
`microseconds`, which also keeps each conversation's `waiting_since`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Select,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    update,
)

from parley.storage.models import Agent, Conversation, ConversationLabel, Message
from parley.storage.records import ConversationRecord, ConversationRef
from parley.storage.repositories._query import fetch_all, fetch_one, keyset_after, one

OPEN, SNOOZED = "open", "snoozed"
# Who starts and who ends a visitor's wait (`waiting_since`): a visitor's message of any type starts it if none runs;
# an agent's message of one of these types ends it; the bot's and an agent's other types (notes) change nothing.
# `wait_effect` applies the rule to a message as it is written, `recount_waiting` to the history as stored.
WAIT_ENDING_TYPES = ("text", "file")
WaitEffect = Literal["starts", "ends"] | None


def wait_effect(message_type: str, end_user_id: str | None, agent_id: str | None) -> WaitEffect:
    if end_user_id is not None:
        return "starts"
    if agent_id is not None and message_type in WAIT_ENDING_TYPES:
        return "ends"
    return None


def wait_change(effects: Sequence[WaitEffect]) -> tuple[int | None, bool]:
    """What some messages, in order, do to a conversation's wait: the offset of the message that starts the wait
    still running after them (None: none starts one), and whether one of them ends the wait that ran before."""
    wait_from, wait_ends = None, False
    for offset, effect in enumerate(effects):
        if effect == "ends":
            wait_ends, wait_from = True, None
        elif effect == "starts" and wait_from is None:
            wait_from = offset
    return wait_from, wait_ends


def add_conversation(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Conversation).values(**values))


def get_conversation(
    conn: Connection, workspace_id: str, conversation_id: str, lock: bool = False
) -> ConversationRecord | None:
    """With `lock` (PostgreSQL), its row is held until the transaction ends: concurrent changes of one conversation
    take turns, each deciding from what the one before it left."""
    stmt = select(Conversation).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
    return fetch_one(conn, stmt.with_for_update() if lock else stmt, ConversationRecord)


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


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """What a listing keeps (every condition given, combined with AND) and its order: `newest` (by creation) or
    `waiting` (the oldest `waiting_since` first, then those not waiting, newest first)."""

    statuses: tuple[str, ...] = ()
    end_user_id: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    label: str | None = None
    sort: Literal["newest", "waiting"] = "newest"


def list_conversations(
    conn: Connection, workspace_id: str, where: ConversationFilter, after: ConversationRecord | None, limit: int
) -> list[ConversationRecord]:
    """A page after the conversation `after` (None: the first page), in `where.sort`'s order: a keyset range scan
    of the index that filter and order call for, never an OFFSET."""
    if where.sort == "newest":
        return _newest(conn, _filtered(workspace_id, where), where, after, limit)
    found: list[ConversationRecord] = []
    if after is None or after.waiting_since is not None:
        waiting = _filtered(workspace_id, where).where(Conversation.waiting_since.is_not(None))
        order = [Conversation.waiting_since, Conversation.created_us, Conversation.id]
        cursor = None if after is None else (after.waiting_since, after.created_us, after.id)
        found = fetch_all(conn, keyset_after(waiting, order, cursor, descending=False).limit(limit), ConversationRecord)
        after = None
    if len(found) < limit:
        not_waiting = _filtered(workspace_id, where).where(Conversation.waiting_since.is_(None))
        found += _newest(conn, not_waiting, where, after, limit - len(found))
    return found


def _filtered(workspace_id: str, where: ConversationFilter) -> Select[Any]:
    """With a label, the label's rows lead (their index is in the listing's order) and name the workspace: a label
    row and its conversation are always of one workspace, and a second condition on the conversations would tempt
    PostgreSQL to read the workspace's conversations whole and join them to the label's."""
    if where.label is None:
        stmt = select(Conversation).where(Conversation.workspace_id == workspace_id)
    else:
        stmt = (
            select(Conversation)
            .select_from(ConversationLabel)
            .join(Conversation, Conversation.id == ConversationLabel.conversation_id)
            .where(ConversationLabel.workspace_id == workspace_id, ConversationLabel.label == where.label)
        )
    if len(where.statuses) == 1:
        stmt = stmt.where(Conversation.status == where.statuses[0])
    elif where.statuses:
        stmt = stmt.where(Conversation.status.in_(where.statuses))
    if where.end_user_id is not None:
        stmt = stmt.where(Conversation.end_user_id == where.end_user_id)
    if where.unassigned:
        stmt = stmt.where(Conversation.assigned_agent_id.is_(None))
    elif where.assignee is not None:
        stmt = stmt.where(Conversation.assigned_agent_id == where.assignee)
    return stmt


def _newest(
    conn: Connection, stmt: Select[Any], where: ConversationFilter, after: ConversationRecord | None, limit: int
) -> list[ConversationRecord]:
    """Newest first, by (created_us, id). With a label, by the label row's copy of the two, so that the label's
    index is read in order and the planner need not join first and sort after."""
    if where.label is not None:
        order = [ConversationLabel.created_us, ConversationLabel.conversation_id]
    else:
        order = [Conversation.created_us, Conversation.id]
    cursor = None if after is None else (after.created_us, after.id)
    return fetch_all(conn, keyset_after(stmt, order, cursor, descending=True).limit(limit), ConversationRecord)


def count_by_status(conn: Connection, workspace_id: str) -> dict[str, int]:
    """Read from the (workspace, status, created) index alone."""
    stmt = (
        select(Conversation.status, func.count())
        .where(Conversation.workspace_id == workspace_id)
        .group_by(Conversation.status)
    )
    return {str(status): int(count) for status, count in conn.execute(stmt)}


def count_open_assigned(conn: Connection, workspace_id: str, agent_id: str | None) -> int:
    """Open conversations assigned to the agent (None: to nobody), from the (workspace, assignee, status) index."""
    assignee = Conversation.assigned_agent_id
    stmt = select(func.count()).where(
        Conversation.workspace_id == workspace_id,
        assignee.is_(None) if agent_id is None else assignee == agent_id,
        Conversation.status == OPEN,
    )
    return int(conn.execute(stmt).scalar_one())


_CONVERSATION_COLUMNS = list(Conversation.__table__.c)
_REOPEN = (
    update(Conversation)
    .where(Conversation.id.in_(bindparam("ids", expanding=True)), Conversation.status != OPEN)
    .values(status=OPEN, snoozed_until=None, updated_at=bindparam("now"))
    .returning(*_CONVERSATION_COLUMNS)
)


def reopen(conn: Connection, conversation_ids: Sequence[str], now: int) -> list[ConversationRecord]:
    """The conversations among these that were not open, now open: one statement for any number of them, and it
    returns only those it changed."""
    rows = conn.execute(_REOPEN, {"ids": list(conversation_ids), "now": now})
    return [ConversationRecord.from_row(row) for row in rows]


def due_snoozes(conn: Connection, now: int, limit: int) -> list[str]:
    """Snoozed conversations whose time has come, the longest overdue first: a range scan of the snooze index."""
    stmt = (
        select(Conversation.id)
        .where(Conversation.snoozed_until <= now, Conversation.status == SNOOZED)
        .order_by(Conversation.snoozed_until)
        .limit(limit)
    )
    return [str(row[0]) for row in conn.execute(stmt)]


def wake(conn: Connection, conversation_ids: Sequence[str], now: int) -> list[ConversationRecord]:
    """Those of these conversations still snoozed and due, now open. Their rows are taken first (PostgreSQL: locked
    in id order, skipping those another process holds), so processes waking the same conversations at once never
    wait for each other nor deadlock, and the conditions are checked on the rows as they are now: a conversation
    another process woke is no longer snoozed. Only the process that changed a conversation returns it."""
    due = and_(
        Conversation.id.in_(list(conversation_ids)),
        Conversation.status == SNOOZED,
        Conversation.snoozed_until <= now,
    )
    taken = select(Conversation.id).where(due).order_by(Conversation.id).with_for_update(skip_locked=True)
    ids = [str(row[0]) for row in conn.execute(taken)]
    if not ids:
        return []
    stmt = (
        update(Conversation)
        .where(Conversation.id.in_(ids), due)
        .values(status=OPEN, snoozed_until=None, updated_at=now)
        .returning(*_CONVERSATION_COLUMNS)
    )
    return [ConversationRecord.from_row(row) for row in conn.execute(stmt)]


def recount_waiting(conn: Connection, conversation_ids: Sequence[str]) -> None:
    """`waiting_since` from the stored history: the first visitor message after the last agent message that ends
    a wait. For the rare batch in which a resent uuid was found stored (see `write_messages`)."""
    answers = Message.__table__.alias("answers")
    agent_answered = (
        select(func.max(answers.c.microseconds))
        .where(
            answers.c.conversation_id == Conversation.id,
            answers.c.agent_id.is_not(None),
            answers.c.type.in_(WAIT_ENDING_TYPES),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    first_unanswered = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Conversation.id,
            Message.end_user_id.is_not(None),
            Message.microseconds > func.coalesce(agent_answered, 0),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    stmt = update(Conversation).where(Conversation.id.in_(list(conversation_ids)))
    conn.execute(stmt.values(waiting_since=first_unanswered))


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


def _allocation(for_messages: bool, refuse_locked: bool = True) -> Update:
    """Built once: statement construction is a measurable part of every batch.

    For messages, the same statement refuses a locked conversation and folds the batch's effect into
    `waiting_since` (see `allocate_microseconds`), so a batch costs no statement more per conversation."""
    last = Conversation.last_microseconds
    count, floor = bindparam("count", type_=BigInteger), bindparam("floor", type_=BigInteger)
    new_last = case((last + count > floor, last + count), else_=floor)
    stmt = update(Conversation).where(Conversation.id == bindparam("conversation_id"))
    if not for_messages:
        return stmt.values(last_microseconds=new_last).returning(last)
    wait_from, wait_ends = bindparam("wait_from", type_=BigInteger), bindparam("wait_ends", type_=Boolean)
    starts_at = (new_last - count + 1 + wait_from) // literal_column("1000000", BigInteger)
    # A wait that ended gives way to the one started after it, if any (NULL otherwise); else a running wait goes on.
    waiting_since = case((wait_ends, starts_at), else_=func.coalesce(Conversation.waiting_since, starts_at))
    if refuse_locked:
        stmt = stmt.where(Conversation.locked.is_(False))
    return stmt.values(last_microseconds=new_last, waiting_since=waiting_since).returning(last, Conversation.status)


_ALLOCATE_FOR_MESSAGES = _allocation(for_messages=True)
_ALLOCATE_FOR_NOTES = _allocation(for_messages=True, refuse_locked=False)  # a locked conversation takes notes
_ALLOCATE_FOR_EVENTS = _allocation(for_messages=False)


def allocate_microseconds(
    conn: Connection, conversation_id: str, effects: Sequence[WaitEffect], now_us: int, even_locked: bool = False
) -> tuple[int, str] | None:
    """Reserve a position for each of the messages whose wait `effects` are given, in order, consecutive after the
    conversation's last one and never before `now_us`, and apply those effects to `waiting_since`.

    Returns the first position and the conversation's status (which the row lock now holds as it is until the
    transaction ends), or None when the conversation is gone or, unless `even_locked` (notes), locked. The UPDATE
    takes the row lock, so on PostgreSQL concurrent writers of one conversation commit in the order of the
    positions they hold.
    """
    count = len(effects)
    wait_from, wait_ends = wait_change(effects)
    params = {
        "conversation_id": conversation_id,
        "count": count,
        "floor": now_us + count - 1,
        "wait_from": wait_from,
        "wait_ends": wait_ends,
    }
    statement = _ALLOCATE_FOR_NOTES if even_locked else _ALLOCATE_FOR_MESSAGES
    allocated = conn.execute(statement, params).first()
    return None if allocated is None else (int(allocated[0]) - count + 1, str(allocated[1]))


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
