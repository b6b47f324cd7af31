"""What is mailed about a conversation (workflow.md 3): to agents, the visitors' bursts left unanswered and unread;
to visitors, the agents' runs they left unread. The only SQL of it.

A burst is a conversation's visitor messages since its last agent message (`waiting_since` marks, to the second, the
first visitor message after it) and since an agent last read it: its first message is the first visitor message from
`waiting_since` on that is not `read` (a receipt marks every earlier one read too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, ScalarSelect, and_, bindparam, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute

from parley.storage.models import Agent, Conversation, EndUser, Message, Workspace
from parley.storage.records import MessageRecord, Record
from parley.storage.repositories._query import fetch_all

OPEN = "open"
MAX_MESSAGES_IN_MAIL = 20
AGENT_TYPES = ("text", "file")  # what of an agent's reaches the visitor: never a note
VISITORS = (Message.end_user_id.is_not(None),)  # a burst's messages
AGENT_REPLIES = (Message.agent_id.is_not(None), Message.type.in_(AGENT_TYPES))  # a run's messages


@dataclass(frozen=True, slots=True)
class Burst(Record):
    conversation_id: str
    workspace_id: str
    assigned_agent_id: str | None
    first_message_id: str | None
    first_microseconds: int | None


@dataclass(frozen=True, slots=True)
class Recipient(Record):
    id: str
    name: str
    email: str


def _first_unread(*conditions: ColumnElement[bool]) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """The id and the position of the first message of the conversation of the enclosing query that is not `read`
    and meets `conditions`."""

    def first(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
        unread = select(column).where(Message.conversation_id == Conversation.id, Message.status != "read", *conditions)
        return unread.order_by(Message.microseconds).limit(1).correlate(Conversation).scalar_subquery()

    return first(Message.id), first(Message.microseconds)


# The burst's first message: the visitor's first unread one since the wait began.
_BURST_FIRST_ID, _BURST_FIRST_US = _first_unread(
    Message.microseconds >= Conversation.waiting_since * literal_column("1000000", BigInteger),
    *VISITORS,
)
_BURSTS = select(
    Conversation.id.label("conversation_id"),
    Conversation.workspace_id,
    Conversation.assigned_agent_id,
    _BURST_FIRST_ID.label("first_message_id"),
    _BURST_FIRST_US.label("first_microseconds"),
)
# Joined from the workspaces so that each one's range is read on the (workspace_id, status, waiting_since) index.
_WAITING = _BURSTS.select_from(Workspace).join(
    Conversation,
    and_(
        Conversation.workspace_id == Workspace.id,
        Conversation.status == OPEN,
        Conversation.waiting_since > bindparam("floor"),
        Conversation.waiting_since <= bindparam("cutoff"),
    ),
)
_ONE = _BURSTS.where(Conversation.id == bindparam("conversation_id"), Conversation.status == OPEN)


def unanswered_bursts(conn: Connection, floor: int, cutoff: int) -> list[Burst]:
    """The open conversations whose wait began in (`floor`, `cutoff`] (unix seconds, as `waiting_since`), with
    their burst's first message (None when an agent read it all)."""
    return fetch_all(conn, _WAITING.params(floor=floor, cutoff=cutoff), Burst)


def burst_of(conn: Connection, conversation_id: str) -> Burst | None:
    """The conversation's burst as it is now; None when it is not open."""
    found = fetch_all(conn, _ONE.params(conversation_id=conversation_id), Burst)
    return found[0] if found else None


def recipients(conn: Connection, workspace_id: str, assigned_agent_id: str | None) -> list[Recipient]:
    """Who is told: the assignee, or for an unassigned conversation every agent; only active agents with an email
    who want notifications by email."""
    stmt = select(Agent.id, Agent.name, Agent.email).where(
        Agent.workspace_id == workspace_id,
        Agent.active.is_(True),
        Agent.email.is_not(None),
        Agent.email_notifications.is_(True),
    )
    if assigned_agent_id is not None:
        stmt = stmt.where(Agent.id == assigned_agent_id)
    return fetch_all(conn, stmt.order_by(Agent.id), Recipient)


def burst_messages(conn: Connection, conversation_id: str, from_us: int) -> list[MessageRecord]:
    """The visitor's messages from the burst's first on, oldest first, at most MAX_MESSAGES_IN_MAIL."""
    return _messages_from(conn, conversation_id, from_us, *VISITORS)


# The visitors' side. A run is a conversation's agent messages (texts and files) the visitor has not read: a read
# receipt marks every earlier one read, so its first message is the first agent message not `read`.
@dataclass(frozen=True, slots=True)
class Run(Record):
    conversation_id: str
    workspace_id: str
    end_user_id: str
    name: str | None
    email: str
    first_message_id: str | None
    first_microseconds: int | None


# The run's first message: the agents' first text or file the visitor has not read.
_RUN_FIRST_ID, _RUN_FIRST_US = _first_unread(*AGENT_REPLIES)
_RUNS = select(
    Conversation.id.label("conversation_id"),
    Conversation.workspace_id,
    Conversation.end_user_id,
    EndUser.name,
    EndUser.email,
    _RUN_FIRST_ID.label("first_message_id"),
    _RUN_FIRST_US.label("first_microseconds"),
)
# From the workspaces, each one's conversations active since the floor on its (workspace_id, last_microseconds) index.
_ACTIVE = (
    _RUNS.select_from(Workspace)
    .join(
        Conversation,
        and_(Conversation.workspace_id == Workspace.id, Conversation.last_microseconds > bindparam("floor_us")),
    )
    .join(EndUser, and_(EndUser.id == Conversation.end_user_id, EndUser.email.is_not(None)))
)
_ONE_RUN = _RUNS.join(EndUser, EndUser.id == Conversation.end_user_id).where(
    Conversation.id == bindparam("conversation_id"), EndUser.email.is_not(None)
)


def unread_runs(conn: Connection, floor_us: int) -> list[Run]:
    """The conversations of visitors with an email, active since `floor_us`, with their run's first message (None
    when the visitor read everything)."""
    return fetch_all(conn, _ACTIVE.params(floor_us=floor_us), Run)


def run_of(conn: Connection, conversation_id: str) -> Run | None:
    """The conversation's run as it is now; None when its visitor has no email any more."""
    found = fetch_all(conn, _ONE_RUN.params(conversation_id=conversation_id), Run)
    return found[0] if found else None


def run_messages(conn: Connection, conversation_id: str, from_us: int) -> list[MessageRecord]:
    """The agents' texts and files from the run's first on, oldest first, at most MAX_MESSAGES_IN_MAIL."""
    return _messages_from(conn, conversation_id, from_us, *AGENT_REPLIES)


def _messages_from(
    conn: Connection, conversation_id: str, from_us: int, *conditions: ColumnElement[bool]
) -> list[MessageRecord]:
    stmt = select(Message).where(
        Message.conversation_id == conversation_id, Message.microseconds >= from_us, *conditions
    )
    return fetch_all(conn, stmt.order_by(Message.microseconds).limit(MAX_MESSAGES_IN_MAIL), MessageRecord)
