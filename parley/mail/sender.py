"""Sending mail through the operator's SMTP server with aiosmtplib.

`PARLEY_SMTP_URL` is `smtp://user:password@host:port` (STARTTLS when the server offers it) or `smtps://...` (TLS
from the first byte); with it and `PARLEY_MAIL_FROM` set, mail is on, else nothing is mailed. Nothing here is
called by a request: mail is queued in the mail outbox with its cause and sent by the mail worker
(parley/mail/worker.py), so a slow or absent SMTP server slows no answer and loses no mail.
"""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from parley.config import Settings

SMTP_TIMEOUT_SECONDS = 30.0


class Mailer:
    def __init__(self, smtp_url: str | None, mail_from: str) -> None:
        self._url = urlsplit(smtp_url) if smtp_url else None
        self.mail_from = mail_from

    @classmethod
    def build(cls, settings: Settings) -> Mailer:
        url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
        return cls(url, settings.mail_from)

    @property
    def configured(self) -> bool:
        return self._url is not None and bool(self.mail_from)

    async def send(self, message: EmailMessage) -> None:
        """Send `message` (its `From` set here when it has none); raises aiosmtplib's errors as they come."""
        assert self._url is not None, "mail is not configured"
        if "From" not in message:
            message["From"] = self.mail_from
        implicit_tls = self._url.scheme == "smtps"
        await aiosmtplib.send(
            message,
            hostname=self._url.hostname or "localhost",
            port=self._url.port or (465 if implicit_tls else 25),
            username=unquote(self._url.username) if self._url.username else None,
            password=unquote(self._url.password) if self._url.password else None,
            use_tls=implicit_tls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
