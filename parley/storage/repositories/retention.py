"""What erasure, export and purge read and delete: an end user's traces, conversations past their time, and the
outbox past its retention.

Files are content-addressed: several File rows (one per upload or fetch, in any workspace) may name the same bytes.
A File row goes when nothing refers to it any more (no message, no agent avatar); its bytes go when no File row
names their path any more. Deleting the bytes is the caller's job, after its transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, exists, func, literal, select, update
from sqlalchemy.orm import InstrumentedAttribute

from parley.storage.models import (
    Agent,
    Conversation,
    EndUser,
    Event,
    Message,
    OutboxMail,
    Review,
    StoredFile,
    WebhookDelivery,
)
from parley.storage.records import ConversationRecord, FileRecord, MessageRecord, ReviewRecord
from parley.storage.repositories import mail as mail_repo
from parley.storage.repositories._query import fetch_all
from parley.storage.repositories.webhooks import PENDING

IN_CHUNK = 500  # ids per IN list: well under SQLite's and asyncpg's parameter limits


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


# An end user's traces
def conversations_of(conn: Connection, workspace_id: str, end_user_id: str) -> list[ConversationRecord]:
    stmt = (
        select(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.end_user_id == end_user_id)
        .order_by(Conversation.created_us, Conversation.id)
    )
    return fetch_all(conn, stmt, ConversationRecord)


def messages_of(conn: Connection, conversation_ids: Sequence[str]) -> list[MessageRecord]:
    """Every message of these conversations, whoever wrote it: by conversation, then in order."""
    found: list[MessageRecord] = []
    for chunk in _chunks(conversation_ids):
        stmt = select(Message).where(Message.conversation_id.in_(chunk))
        found += fetch_all(conn, stmt, MessageRecord)
    rank = {conversation_id: n for n, conversation_id in enumerate(conversation_ids)}
    return sorted(found, key=lambda m: (rank[m.conversation_id], m.microseconds))


def reviews_by(conn: Connection, end_user_id: str) -> list[ReviewRecord]:
    stmt = select(Review).where(Review.end_user_id == end_user_id).order_by(Review.created_at, Review.id)
    return fetch_all(conn, stmt, ReviewRecord)


def file_ids_sent_by(conn: Connection, end_user_id: str) -> set[str]:
    stmt = select(Message.file_id).where(Message.end_user_id == end_user_id, Message.file_id.is_not(None))
    return {str(row[0]) for row in conn.execute(stmt)}


def scrub_messages_by(conn: Connection, end_user_id: str, now: int) -> int:
    """Their messages stay (the conversation stays readable) without text, file or the digest of the text."""
    stmt = (
        update(Message)
        .where(Message.end_user_id == end_user_id)
        .values(body=None, file_id=None, request_digest=None, updated_at=now)
    )
    return int((conn.execute(stmt)).rowcount or 0)


def scrub_reviews_by(conn: Connection, end_user_id: str, now: int) -> int:
    """The mark stays (it belongs to the agent's record); the visitor's words go."""
    stmt = update(Review).where(Review.end_user_id == end_user_id).values(text="", updated_at=now)
    return int((conn.execute(stmt)).rowcount or 0)


def replace_end_user_fields(conn: Connection, end_user_id: str, name: str, now: int) -> None:
    stmt = (
        update(EndUser)
        .where(EndUser.id == end_user_id)
        .values(name=name, email=None, service_user_id=None, meta={}, updated_at=now)
    )
    conn.execute(stmt)


def event_payloads(
    conn: Connection, conversation_ids: Sequence[str], after_position: int, limit: int
) -> list[tuple[int, str]]:
    """Outbox rows of these conversations, by position, for rewriting page by page."""
    stmt = (
        select(Event.position, Event.payload)
        .where(Event.conversation_id.in_(list(conversation_ids)), Event.position > after_position)
        .order_by(Event.position)
        .limit(limit)
    )
    return [(int(row[0]), str(row[1])) for row in conn.execute(stmt)]


def set_event_payload(conn: Connection, position: int, payload: str) -> None:
    conn.execute(update(Event).where(Event.position == position).values(payload=payload))


# Files nobody refers to any more
def drop_unreferenced_files(conn: Connection, file_ids: Iterable[str]) -> list[FileRecord]:
    """Delete those of these File rows that no message and no agent refers to; returns the deleted rows."""
    dropped: list[FileRecord] = []
    for chunk in _chunks(file_ids):
        referenced = exists(select(literal(1)).where(Message.file_id == StoredFile.id)) | exists(
            select(literal(1)).where(Agent.avatar_file_id == StoredFile.id)
        )
        stmt = select(StoredFile).where(StoredFile.id.in_(chunk), ~referenced)
        rows = fetch_all(conn, stmt, FileRecord)
        if rows:
            conn.execute(delete(StoredFile).where(StoredFile.id.in_([r.id for r in rows])))
        dropped += rows
    return dropped


def paths_in_use(conn: Connection, paths: Iterable[str]) -> set[str]:
    """Which of these stored paths some File row (of any workspace) still names."""
    used: set[str] = set()
    for chunk in _chunks(paths):
        stmt = select(StoredFile.path).where(StoredFile.path.in_(chunk)).distinct()
        used |= {str(row[0]) for row in conn.execute(stmt)}
    return used


# Purge
def stale_conversation_ids(
    conn: Connection,
    before_us: int,
    limit: int,
    workspace_id: str | None = None,
    after: str = "",
    among: Sequence[str] | None = None,
) -> list[str]:
    """Conversations whose last message (or, with none, whose creation) is older than `before_us`, by id after
    `after`; limited to `among` when given. The last message is read from the (conversation, microseconds) index."""
    last = func.coalesce(
        select(func.max(Message.microseconds))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery(),
        Conversation.created_us,
    )
    stmt = select(Conversation.id).where(last < before_us, Conversation.id > after)
    if workspace_id is not None:
        stmt = stmt.where(Conversation.workspace_id == workspace_id)
    if among is not None:
        stmt = stmt.where(Conversation.id.in_(list(among)))
    stmt = stmt.order_by(Conversation.id).limit(limit)
    return [str(row[0]) for row in conn.execute(stmt)]


@dataclass
class Deleted:
    """Rows deleted by a purge (so far), and the File rows its messages referred to."""

    conversations: int = 0
    messages: int = 0
    reviews: int = 0
    events: int = 0
    deliveries: int = 0
    file_ids: set[str] | None = None


def delete_conversations(conn: Connection, conversation_ids: Sequence[str]) -> Deleted:
    """The conversations with their messages, reviews, outbox rows and those rows' webhook deliveries.

    Explicit deletes rather than ON DELETE CASCADE: the outbox is not tied to conversations by a foreign key,
    and counting what went is part of the answer.
    """
    ids = list(conversation_ids)
    file_stmt = select(Message.file_id).where(Message.conversation_id.in_(ids), Message.file_id.is_not(None))
    file_ids = {str(row[0]) for row in conn.execute(file_stmt)}
    events_of = select(Event.id).where(Event.conversation_id.in_(ids))
    deliveries = conn.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(events_of)))
    events = conn.execute(delete(Event).where(Event.conversation_id.in_(ids)))
    messages = conn.execute(delete(Message).where(Message.conversation_id.in_(ids)))
    reviews = conn.execute(delete(Review).where(Review.conversation_id.in_(ids)))
    conversations = conn.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return Deleted(
        conversations=int(conversations.rowcount or 0),
        messages=int(messages.rowcount or 0),
        reviews=int(reviews.rowcount or 0),
        events=int(events.rowcount or 0),
        deliveries=int(deliveries.rowcount or 0),
        file_ids=file_ids,
    )


# The outbox past its retention. Rows are read oldest first by primary key, which follows commit order, so a round
# reads little beyond what it deletes and stops at the first recent row: no index on time is needed.
@dataclass(frozen=True)
class Aged:
    keys: list[int]  # of the rows read that are older than the cutoff
    last: int | None  # the key to read on after, or None once a row as recent as the cutoff was read


def aged_deliveries(conn: Connection, after_seq: int, created_before: int, limit: int) -> Aged:
    return _aged(conn, WebhookDelivery.seq, WebhookDelivery.created_at, after_seq, created_before, limit)


def aged_mail(conn: Connection, after_seq: int, created_before: int, limit: int) -> Aged:
    return _aged(conn, OutboxMail.seq, OutboxMail.created_at, after_seq, created_before, limit)


def aged_events(conn: Connection, after_position: int, before_us: int, limit: int) -> Aged:
    return _aged(conn, Event.position, Event.microseconds, after_position, before_us, limit)


def _aged(
    conn: Connection,
    key: InstrumentedAttribute[int],
    age: InstrumentedAttribute[int],
    after: int,
    before: int,
    limit: int,
) -> Aged:
    rows = (conn.execute(select(key, age).where(key > after).order_by(key).limit(limit))).all()
    old = [int(row[0]) for row in rows if row[1] < before]
    reached_recent = len(rows) < limit or rows[-1][1] >= before
    return Aged(old, None if reached_recent else int(rows[-1][0]))


def delete_finished_deliveries(conn: Connection, seqs: Sequence[int], created_before: int) -> int:
    """Delivered or failed: a pending delivery stays, whatever its age."""
    stmt = delete(WebhookDelivery).where(
        WebhookDelivery.seq.in_(seqs), WebhookDelivery.status != PENDING, WebhookDelivery.created_at < created_before
    )
    return int((conn.execute(stmt)).rowcount or 0)


def delete_finished_mail(conn: Connection, seqs: Sequence[int], created_before: int) -> int:
    """Sent, failed or cancelled: a pending mail stays, whatever its age."""
    stmt = delete(OutboxMail).where(
        OutboxMail.seq.in_(seqs), OutboxMail.status != mail_repo.PENDING, OutboxMail.created_at < created_before
    )
    return int((conn.execute(stmt)).rowcount or 0)


def delete_unowed_events(conn: Connection, positions: Sequence[int], before_us: int) -> int:
    """Events no delivery refers to any more (a pending one keeps its event)."""
    owed = exists().where(WebhookDelivery.event_id == Event.id)
    stmt = delete(Event).where(Event.position.in_(positions), Event.microseconds < before_us, ~owed)
    return int((conn.execute(stmt)).rowcount or 0)
