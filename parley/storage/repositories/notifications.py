"""What is mailed about a conversation (workflow.md 3): to agents, the visitors' bursts left unanswered and unread;
to visitors, the agents' runs they left unread. The only SQL of it.

A burst is a conversation's visitor messages since its last agent message (`waiting_since` marks, to the second, the
first visitor message after it) and since an agent last read it: its first message is the first visitor message from
`waiting_since` on that is not `read` (a receipt marks every earlier one read too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from parley.storage.models import Agent, Conversation, EndUser, Message, OutboxMail, Workspace
from parley.storage.records import MessageRecord, Record
from parley.storage.repositories._query import fetch_all, fetch_one

OPEN = "open"
MAX_MESSAGES_IN_MAIL = 20
AGENT_TYPES = ("text", "file")  # what of an agent's reaches the visitor: never a note
VISITORS = (Message.end_user_id.is_not(None),)  # a burst's messages
AGENT_REPLIES = (Message.agent_id.is_not(None), Message.type.in_(AGENT_TYPES))  # a run's messages
# Agents who are told: active, with an email, who want notifications by email.
_TOLD = (Agent.active.is_(True), Agent.email.is_not(None), Agent.email_notifications.is_(True))


@dataclass(frozen=True, slots=True)
class Notice(Record):
    """A notification due and not queued yet: its cause names the first message it is about (and for an agent,
    the agent)."""

    cause: str
    workspace_id: str
    conversation_id: str
    recipient: str


@dataclass(frozen=True, slots=True)
class Recipient(Record):
    id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Start(Record):
    """A notification's first message, still unread, with its conversation and visitor as they are now."""

    conversation_id: str
    workspace_id: str
    assigned_agent_id: str | None
    status: str
    waiting_since: int | None
    name: str | None
    email: str | None
    microseconds: int


def _first_unread(*conditions: ColumnElement[bool]) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """The id and the position of the first message of the conversation of the enclosing query that is not `read`
    and meets `conditions`."""

    def first(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
        unread = select(column).where(Message.conversation_id == Conversation.id, Message.status != "read", *conditions)
        return unread.order_by(Message.microseconds).limit(1).correlate(Conversation).scalar_subquery()

    return first(Message.id), first(Message.microseconds)


def _not_queued(cause: ColumnElement[str]) -> ColumnElement[bool]:
    return ~exists().where(OutboxMail.cause == cause)  # on the unique index of `cause`


def _with_first_unread(column: InstrumentedAttribute[Any], *conditions: ColumnElement[bool]) -> Select[Any]:
    """Conversations (from the workspaces, each one's on its own index) with `column` and their first unread message
    meeting `conditions` (`first_id`, `first_us`)."""
    first_id, first_us = _first_unread(*conditions)
    return select(
        Conversation.id.label("conversation_id"),
        Conversation.workspace_id,
        column,
        first_id.label("first_id"),
        first_us.label("first_us"),
    ).select_from(Workspace)


# Agents. A burst's first message: the visitor's first unread one since the wait began (so the walk starts there).
# Each workspace's conversations active since the floor, on its (workspace_id, last_microseconds) index: a burst
# after an agent's read, however long the wait, moved `last_microseconds`.
_BURSTS = (
    _with_first_unread(
        Conversation.assigned_agent_id,
        Message.microseconds >= Conversation.waiting_since * literal_column("1000000", BigInteger),
        *VISITORS,
    )
    .join(
        Conversation,
        and_(
            Conversation.workspace_id == Workspace.id,
            Conversation.last_microseconds > bindparam("floor_us"),
            Conversation.status == OPEN,
            Conversation.waiting_since.is_not(None),
        ),
    )
    .subquery()
)
_AGENT_CAUSE = literal("agent:") + _BURSTS.c.first_id + literal(":") + Agent.id
_AGENTS_DUE = (
    select(
        _AGENT_CAUSE.label("cause"), _BURSTS.c.workspace_id, _BURSTS.c.conversation_id, Agent.email.label("recipient")
    )
    .select_from(_BURSTS)
    .join(
        Agent,
        and_(
            Agent.workspace_id == _BURSTS.c.workspace_id,
            or_(_BURSTS.c.assigned_agent_id.is_(None), Agent.id == _BURSTS.c.assigned_agent_id),
            *_TOLD,
        ),
    )
    .where(
        _BURSTS.c.first_us > bindparam("floor_us"),
        _BURSTS.c.first_us <= bindparam("cutoff_us"),
        _not_queued(_AGENT_CAUSE),
    )
    .limit(bindparam("limit"))
)


def agents_due(conn: Connection, floor_us: int, cutoff_us: int, limit: int) -> list[Notice]:
    """Up to `limit` agent notifications due and not queued: a burst that began in (`floor_us`, `cutoff_us`] and
    is still unanswered and unread, one for each agent to tell."""
    return fetch_all(conn, _AGENTS_DUE.params(floor_us=floor_us, cutoff_us=cutoff_us, limit=limit), Notice)


def recipients(conn: Connection, workspace_id: str, assigned_agent_id: str | None) -> list[Recipient]:
    """Who is told: the assignee, or for an unassigned conversation every agent; only active agents with an email
    who want notifications by email."""
    stmt = select(Agent.id, Agent.name, Agent.email).where(Agent.workspace_id == workspace_id, *_TOLD)
    if assigned_agent_id is not None:
        stmt = stmt.where(Agent.id == assigned_agent_id)
    return fetch_all(conn, stmt.order_by(Agent.id), Recipient)


def burst_messages(conn: Connection, conversation_id: str, from_us: int) -> list[MessageRecord]:
    """The visitor's messages from the burst's first on, oldest first, at most MAX_MESSAGES_IN_MAIL."""
    return _messages_from(conn, conversation_id, from_us, *VISITORS)


# Visitors. A run is a conversation's agent messages (texts and files) the visitor has not read: a read receipt
# marks every earlier one read, so its first message is the first agent message not `read`. Only the last
# LOOKBACK's messages are looked at: a walk through a long history each sweep would cost what the history is, and
# an older unread run was mailed when it was due.
_RUNS = (
    _with_first_unread(EndUser.email, Message.microseconds > bindparam("floor_us"), *AGENT_REPLIES)
    .join(
        Conversation,
        and_(Conversation.workspace_id == Workspace.id, Conversation.last_microseconds > bindparam("floor_us")),
    )
    .join(EndUser, and_(EndUser.id == Conversation.end_user_id, EndUser.email.is_not(None)))
    .subquery()
)
_VISITOR_CAUSE = literal("visitor:") + _RUNS.c.first_id
_VISITORS_DUE = (
    select(
        _VISITOR_CAUSE.label("cause"), _RUNS.c.workspace_id, _RUNS.c.conversation_id, _RUNS.c.email.label("recipient")
    )
    .where(_RUNS.c.first_us <= bindparam("cutoff_us"), _not_queued(_VISITOR_CAUSE))
    .limit(bindparam("limit"))
)


def visitors_due(conn: Connection, floor_us: int, cutoff_us: int, limit: int) -> list[Notice]:
    """Up to `limit` visitor notifications due and not queued: a run of agent messages, the first sent in
    (`floor_us`, `cutoff_us`], that its visitor, who has an email, has not read."""
    return fetch_all(conn, _VISITORS_DUE.params(floor_us=floor_us, cutoff_us=cutoff_us, limit=limit), Notice)


def run_messages(conn: Connection, conversation_id: str, from_us: int) -> list[MessageRecord]:
    """The agents' texts and files from the run's first on, oldest first, at most MAX_MESSAGES_IN_MAIL."""
    return _messages_from(conn, conversation_id, from_us, *AGENT_REPLIES)


_START = (
    select(
        Conversation.id.label("conversation_id"),
        Conversation.workspace_id,
        Conversation.assigned_agent_id,
        Conversation.status,
        Conversation.waiting_since,
        EndUser.name,
        EndUser.email,
        Message.microseconds,
    )
    .select_from(Message)
    .join(Conversation, Conversation.id == Message.conversation_id)
    .join(EndUser, EndUser.id == Conversation.end_user_id)
    .where(Message.id == bindparam("message_id"), Message.status != "read")
)


def unread_start(conn: Connection, message_id: str) -> Start | None:
    """The first message of a notification, if it is still unread (a read receipt for it or a later one marks it
    read), with its conversation and visitor as they are now."""
    return fetch_one(conn, _START.params(message_id=message_id), Start)


def _messages_from(
    conn: Connection, conversation_id: str, from_us: int, *conditions: ColumnElement[bool]
) -> list[MessageRecord]:
    stmt = select(Message).where(
        Message.conversation_id == conversation_id, Message.microseconds >= from_us, *conditions
    )
    return fetch_all(conn, stmt.order_by(Message.microseconds).limit(MAX_MESSAGES_IN_MAIL), MessageRecord)
