"""What agents are mailed about: the visitors' bursts left unanswered and unread (workflow.md 3). The only SQL of it.

A burst is a conversation's visitor messages since its last agent message (`waiting_since` marks, to the second, the
first visitor message after it) and since an agent last read it: its first message is the first visitor message from
`waiting_since` on that is not `read` (a receipt marks every earlier one read too).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Connection, and_, bindparam, literal_column, select

from parley.storage.models import Agent, Conversation, Message, Workspace
from parley.storage.records import MessageRecord, Record
from parley.storage.repositories._query import fetch_all

OPEN = "open"
MAX_MESSAGES_IN_MAIL = 20


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


def _first_unread(column: str) -> object:
    """The burst's first message's `column`, for the conversation of the enclosing query."""
    return (
        select(getattr(Message, column))
        .where(
            Message.conversation_id == Conversation.id,
            Message.microseconds >= Conversation.waiting_since * literal_column("1000000", BigInteger),
            Message.end_user_id.is_not(None),
            Message.status != "read",
        )
        .order_by(Message.microseconds)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )


_BURSTS = select(
    Conversation.id.label("conversation_id"),
    Conversation.workspace_id,
    Conversation.assigned_agent_id,
    _first_unread("id").label("first_message_id"),  # type: ignore[attr-defined]
    _first_unread("microseconds").label("first_microseconds"),  # type: ignore[attr-defined]
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
    stmt = (
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.microseconds >= from_us,
            Message.end_user_id.is_not(None),
        )
        .order_by(Message.microseconds)
        .limit(MAX_MESSAGES_IN_MAIL)
    )
    return fetch_all(conn, stmt, MessageRecord)
