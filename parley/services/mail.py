"""Mail: what is queued in the mail outbox and how, and what the admins see of it.

A mail is queued in the transaction of its cause (`queue`), so the cause and its mail are one atomic fact: a crash
before the commit loses both, after it neither. Queued whole (an invitation) it is sealed, `Message-ID` and `Date`
included, so every attempt sends the same bytes. Nothing is queued while mail is off (`PARLEY_SMTP_URL` and
`PARLEY_MAIL_FROM` unset): nothing would send it, and turning mail on later must not send old news.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds
from parley.errors import not_found
from parley.mail.composing import named_address
from parley.services.ids import new_id
from parley.services.paging import continue_after
from parley.storage.database import Transaction
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import mail as repo
from parley.storage.repositories.mail import MailRecord

if TYPE_CHECKING:
    from parley.services.context import Services

MAX_SUBJECT_LENGTH = 300


def queue(
    svc: Services,
    tx: Transaction,
    workspace: WorkspaceRecord,
    kind: schemas.MailKind,
    cause: str,
    message: EmailMessage,
) -> bool:
    """Queue `message` in `tx` unless mail is off or `cause` was queued before; whether it was queued. The caller
    wakes the worker after the commit (`svc.mail.wake()`)."""
    if not svc.mailer.configured:
        return False
    message["From"] = sender(svc, workspace)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=mail_domain(svc))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders do not answer it
    now_us = now_microseconds()
    return repo.add(
        tx.conn,
        id=new_id(),
        workspace_id=workspace.id,
        kind=kind,
        cause=cause,
        recipient=str(message["To"]),
        subject=str(message["Subject"])[:MAX_SUBJECT_LENGTH],
        message=svc.mail_seal.seal(message.as_string()),
        conversation_id=None,
        next_attempt_us=now_us,
        created_at=now_us // 1_000_000,
        updated_at=now_us // 1_000_000,
    )


def link_cause(link_id: str) -> str:
    """The cause of an invitation's or a reset's mail: its link (one mail a link)."""
    return f"link:{link_id}"


def cancel_link_mail(tx: Transaction, link_ids: list[str]) -> None:
    """Links replaced, used or cancelled: their mails, if not sent yet, are not sent (an old link would not work)."""
    repo.cancel_pending(tx.conn, [link_cause(link_id) for link_id in link_ids])


def sender(svc: Services, workspace: WorkspaceRecord) -> str:
    """`From`: PARLEY_MAIL_FROM, named after the workspace (what the recipient knows)."""
    return named_address(workspace.name, svc.mailer.mail_from)


def mail_domain(svc: Services) -> str:
    """The domain of Parley's `Message-ID`s: PARLEY_MAIL_FROM's."""
    return svc.mailer.mail_from.rpartition("@")[2] or "parley.invalid"


def status(svc: Services) -> schemas.MailStatus:
    return schemas.MailStatus(enabled=svc.mailer.configured, mail_from=svc.mailer.mail_from or None)


async def list_mail(
    svc: Services, workspace: WorkspaceRecord, after: str | None, limit: int, mail_status: str | None
) -> list[schemas.OutboxMail]:
    def load(conn: Connection) -> list[MailRecord]:
        before_seq = continue_after(after, partial(_find_mail, conn, workspace), lambda mail: mail.seq)
        return repo.list_mail(conn, workspace.id, before_seq, limit, mail_status)

    return [_mail(found) for found in await svc.db.read(load)]


async def retry_mail(svc: Services, workspace: WorkspaceRecord, mail_id: str) -> schemas.OutboxMail:
    """A failed mail due again now, with its attempts counted afresh; any other mail answers as it is."""
    now_us = now_microseconds()

    def make_due(tx: Transaction) -> MailRecord:
        found = _find_mail(tx.conn, workspace, mail_id)
        if not repo.retry(tx.conn, found.id, now_us, now_us // 1_000_000):
            return found
        again = repo.get_mail(tx.conn, workspace.id, found.id)
        assert again is not None
        return again

    updated = await svc.db.write(make_due)
    svc.mail.wake()
    return _mail(updated)


def _find_mail(conn: Connection, workspace: WorkspaceRecord, mail_id: str) -> MailRecord:
    found = repo.get_mail(conn, workspace.id, mail_id)
    if found is None:
        raise not_found("Mail")
    return found


def _mail(record: MailRecord) -> schemas.OutboxMail:
    return schemas.OutboxMail(
        id=record.id,
        kind=record.kind,
        to=record.recipient,
        subject=record.subject,
        conversation_id=record.conversation_id,
        status=record.status,
        attempts=record.attempts,
        last_error=record.last_error,
        next_attempt_at=record.next_attempt_us // 1_000_000 if record.status == repo.PENDING else None,
        created_at=record.created_at,
        sent_at=record.sent_at,
    )
