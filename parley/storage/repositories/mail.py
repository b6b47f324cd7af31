"""The mail outbox: the only SQL of sending mail.

A mail is queued in the transaction of its cause (`add`), once per cause: `cause` is unique and a second insert of
it stores nothing, so two processes noticing the same thing at once queue one mail. Workers lease due rows
(`claim_due`), send them outside any transaction, and record the outcome only while they still hold the lease
(`finish`), as the webhook deliveries do: on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two processes off one row,
on SQLite the one write connection serialises the claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from parley.storage.models import OutboxMail
from parley.storage.records import Record
from parley.storage.repositories._query import fetch_all, fetch_one

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"  # its cause went away before it was sent (a notification whose messages were answered)


@dataclass(frozen=True, slots=True)
class MailRecord(Record):
    """A mail as the admins' list shows it: never its message (a link in it is a credential)."""

    seq: int
    id: str
    workspace_id: str
    kind: str
    recipient: str
    subject: str
    conversation_id: str | None
    status: str
    attempts: int
    next_attempt_us: int
    last_error: str | None
    created_at: int
    updated_at: int
    sent_at: int | None


@dataclass(frozen=True, slots=True)
class ClaimedMail(Record):
    """A leased mail with what sending it needs."""

    id: str
    claim_token: str
    workspace_id: str
    kind: str
    cause: str
    recipient: str
    message: str | None
    conversation_id: str | None
    attempts: int
    created_at: int


_MAIL_COLUMNS = [getattr(OutboxMail, name) for name in MailRecord.__dataclass_fields__]
_DUE = (
    select(OutboxMail.seq)
    .where(
        OutboxMail.status == PENDING,
        OutboxMail.next_attempt_us <= bindparam("now_us"),
        or_(OutboxMail.locked_until_us.is_(None), OutboxMail.locked_until_us <= bindparam("now_us")),
    )
    .order_by(OutboxMail.next_attempt_us, OutboxMail.seq)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIMED = select(*(getattr(OutboxMail, name) for name in ClaimedMail.__dataclass_fields__)).where(
    OutboxMail.seq.in_(bindparam("seqs", expanding=True))
)


def add(conn: Connection, **values: Any) -> bool:
    """Queue a mail unless one with its `cause` was queued before; whether it was queued."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(OutboxMail).values(status=PENDING, attempts=0, **values)
    return bool(conn.execute(stmt.on_conflict_do_nothing(index_elements=[OutboxMail.cause])).rowcount)


def queued_causes(conn: Connection, causes: list[str]) -> set[str]:
    """Which of `causes` were queued already."""
    stmt = select(OutboxMail.cause).where(OutboxMail.cause.in_(bindparam("causes", expanding=True)))
    return set(conn.execute(stmt, {"causes": causes}).scalars())


def cancel_pending(conn: Connection, causes: list[str]) -> None:
    """The pending mails of these causes cancelled, their messages dropped (a mail being sent now is recorded as its
    send ends)."""
    if causes:
        stmt = update(OutboxMail).where(OutboxMail.cause.in_(causes), OutboxMail.status == PENDING)
        conn.execute(stmt.values(status=CANCELLED, message=None))


def forget_recipient(conn: Connection, kind: str, conversation_ids: list[str]) -> None:
    """The mails of `kind` about these conversations lose their recipient, and any not sent yet are cancelled (an
    erased visitor's address is not kept, nor mailed)."""
    if not conversation_ids:
        return
    about = (OutboxMail.kind == kind, OutboxMail.conversation_id.in_(conversation_ids))
    conn.execute(update(OutboxMail).where(*about, OutboxMail.status == PENDING).values(status=CANCELLED, message=None))
    conn.execute(update(OutboxMail).where(*about).values(recipient=""))


def claim_due(conn: Connection, now_us: int, lease_until_us: int, token: str, limit: int) -> list[ClaimedMail]:
    """Lease up to `limit` due mails, the earliest due first. Run inside a write transaction."""
    seqs = list(conn.execute(_DUE, {"now_us": now_us, "limit": limit}).scalars())
    if not seqs:
        return []
    conn.execute(
        update(OutboxMail).where(OutboxMail.seq.in_(seqs)).values(claim_token=token, locked_until_us=lease_until_us)
    )
    return fetch_all(conn, _CLAIMED.params(seqs=seqs), ClaimedMail)


def finish(conn: Connection, mail_id: str, token: str, **values: Any) -> bool:
    """Record an attempt's outcome and release the lease; False when the lease was no longer ours, or when the mail
    was cancelled while it was being tried and the attempt did not send it (one that went says `sent`, as it was)."""
    stmt = update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.claim_token == token)
    if values.get("status") != SENT:
        stmt = stmt.where(OutboxMail.status == PENDING)
    return bool(conn.execute(stmt.values(claim_token=None, locked_until_us=None, **values)).rowcount)


def list_mail(
    conn: Connection, workspace_id: str, before_seq: int | None, limit: int, status: str | None
) -> list[MailRecord]:
    """Newest first; `before_seq` continues after the last row of the previous page."""
    stmt = select(*_MAIL_COLUMNS).where(OutboxMail.workspace_id == workspace_id)
    if before_seq is not None:
        stmt = stmt.where(OutboxMail.seq < before_seq)
    if status is not None:
        stmt = stmt.where(OutboxMail.status == status)
    return fetch_all(conn, stmt.order_by(OutboxMail.seq.desc()).limit(limit), MailRecord)


def get_mail(conn: Connection, workspace_id: str, mail_id: str) -> MailRecord | None:
    stmt = select(*_MAIL_COLUMNS).where(OutboxMail.workspace_id == workspace_id, OutboxMail.id == mail_id)
    return fetch_one(conn, stmt, MailRecord)


def retry(conn: Connection, mail_id: str, now_us: int, now: int) -> bool:
    """A failed mail due again now, its attempts counted afresh; False when it is not one that failed."""
    result = conn.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_us=now_us, updated_at=now)
    )
    return bool(result.rowcount)
