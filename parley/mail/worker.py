"""The mail worker: every serving process runs one (when mail is configured); together they send each queued mail.

A round leases due mails (`LeasedWorker`'s loop, `FOR UPDATE SKIP LOCKED` on PostgreSQL), sends each outside any
transaction and records the outcome if the lease is still ours. A mail that was queued whole is opened from its seal;
one composed when it goes (a notification) is asked of `compose`, which answers None when its cause went away (the
visitor's messages were answered or read meanwhile): that mail is `cancelled`, never sent. An SMTP server that is
away, times out or answers 4xx gets the mail again later (`mail_retry_base_seconds`, doubling with jitter, up to
`mail_retry_max_seconds`), at most `mail_max_attempts` times; a 5xx answer fails it at once. Either way the reason
is kept for the admins' list. An attempt, composing included, is bounded by half the lease (aiosmtplib's timeout
is per SMTP step, so a slow server could hold one send past the lease, and another process send it again); a mail
the standard library cannot write (ValueError) fails at once, and any other surprise counts as an attempt.

Exactly once per cause: the outbox holds one row a cause, and one process at a time holds its lease. The one gap
left is a process that dies after the SMTP server took the mail and before the outcome was recorded: the lease then
runs out and the mail goes again (at least once, with the same `Message-ID`, by which mail clients drop it).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import aiosmtplib

from parley.background import LeasedWorker, retry_delay
from parley.clock import now_microseconds
from parley.config import Settings
from parley.mail.sender import Mailer
from parley.observability import metrics
from parley.storage.database import Database, Transaction
from parley.storage.repositories import mail as repo
from parley.storage.repositories.mail import ClaimedMail
from parley.webhooks.sealing import SecretSeal, SecretUnreadable

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
MAIL_SEAL_PURPOSE = b"parley mail outbox v1"
Compose = Callable[[ClaimedMail], Awaitable[EmailMessage | None]]


def mail_seal(server_key: str) -> SecretSeal:
    """The seal of queued messages: a link in one is a credential, so a copy of the database alone does not hold it."""
    unreadable = "the mail was queued under another PARLEY_SECRET_KEY and cannot be read"
    return SecretSeal(server_key, MAIL_SEAL_PURPOSE, unreadable)


def parse_sealed(seal: SecretSeal, sealed: str) -> EmailMessage:
    parsed = email.message_from_string(seal.open(sealed), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class MailWorker(LeasedWorker[ClaimedMail]):
    def __init__(self, db: Database, settings: Settings, mailer: Mailer, seal: SecretSeal) -> None:
        super().__init__(
            "parley-mail-worker", settings.mail_concurrency, settings.mail_poll_seconds, stop_grace_seconds=5.0
        )
        self._db = db
        self._settings = settings
        self._mailer = mailer
        self._seal = seal
        # Set by the services once they exist: composing a notification reads the conversation.
        self.compose: Compose | None = None

    def start(self) -> None:
        """Sends only with mail configured; queued mail waits for it (a server started without SMTP keeps it)."""
        if self._mailer.configured:
            super().start()

    async def claim(self, limit: int) -> list[ClaimedMail]:
        now_us = now_microseconds()
        lease_until = now_us + int(self._settings.mail_lease_seconds * 1_000_000)

        def claim(tx: Transaction) -> list[ClaimedMail]:
            return repo.claim_due(tx.conn, now_us, lease_until, str(uuid.uuid4()), limit)

        return await self._db.write(claim)

    async def attempt(self, mail: ClaimedMail) -> bool:
        """Send and record; no mail waits for another (False)."""
        try:
            async with asyncio.timeout(self._settings.mail_lease_seconds / 2):
                message = await self._message(mail)
                if message is None:
                    await self._record(mail, repo.CANCELLED, None)
                    return False
                await self._mailer.send(message)
        except asyncio.CancelledError:
            await self._record(mail, repo.PENDING, "interrupted: Parley was shutting down", counts=False)
            raise
        except SecretUnreadable as exc:
            await self._record(mail, repo.FAILED, str(exc))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            reasons = "; ".join(f"SMTP {refused.code}: {refused.message}" for refused in exc.recipients)
            await self._retry_or_fail(mail, reasons, permanent=bool(codes) and min(codes) >= 500)
        except aiosmtplib.SMTPResponseException as exc:
            await self._retry_or_fail(mail, f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._retry_or_fail(mail, _described(exc))
        except ValueError as exc:  # a header the standard library refuses: sending again would not change it
            log.exception("mail %s could not be written", mail.id)
            await self._record(mail, repo.FAILED, _described(exc))
        except Exception as exc:  # a bug or a database away: counted, so that it cannot come back for ever
            log.exception("mail %s: an unexpected error", mail.id)
            await self._retry_or_fail(mail, _described(exc))
        else:
            await self._record(mail, repo.SENT, None)
        return False

    async def _message(self, mail: ClaimedMail) -> EmailMessage | None:
        if mail.message is not None:
            return parse_sealed(self._seal, mail.message)
        assert self.compose is not None, "the services set `compose` when they are built"
        return await self.compose(mail)

    async def _retry_or_fail(self, mail: ClaimedMail, error: str, permanent: bool = False) -> None:
        if permanent or mail.attempts + 1 >= self._settings.mail_max_attempts:
            await self._record(mail, repo.FAILED, error)
        else:
            await self._record(mail, repo.PENDING, error)

    async def _record(self, mail: ClaimedMail, status: str, error: str | None, counts: bool = True) -> None:
        now_us = now_microseconds()
        now = now_us // 1_000_000
        values: dict[str, object] = {
            "status": status,
            "updated_at": now,
            "last_error": error and error[:MAX_ERROR_LENGTH],
        }
        if counts:
            values["attempts"] = mail.attempts + 1
        if status == repo.SENT:
            values.update(sent_at=now, message=None)  # the link it held is not kept a moment longer
        elif status == repo.CANCELLED:
            values["message"] = None
        elif status == repo.PENDING:
            delay = retry_delay(mail.attempts + 1, *self._retry_bounds()) if counts else 0.0
            due = now_us + int(delay * 1_000_000)
            values["next_attempt_us"] = due
            self.retry_at(due)
        metrics.mail_sent(("retry" if status == repo.PENDING else status) if counts else "interrupted")

        def finish(tx: Transaction) -> bool:
            return repo.finish(tx.conn, mail.id, mail.claim_token, **values)

        try:
            if not await self._db.write(finish):
                log.info("mail %s: lease lost, or the mail cancelled, before its outcome was recorded", mail.id)
        except Exception:
            # The lease runs out and the mail is tried again: at least once, never lost.
            log.exception("mail %s: recording the outcome failed", mail.id)

    def _retry_bounds(self) -> tuple[float, float]:
        return self._settings.mail_retry_base_seconds, self._settings.mail_retry_max_seconds


def _described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
