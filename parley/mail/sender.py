"""Sending mail through the operator's SMTP server with aiosmtplib.

`PARLEY_SMTP_URL` is `smtp://user:password@host:port` (STARTTLS when the server offers it) or `smtps://...` (TLS
from the first byte); with it and `PARLEY_MAIL_FROM` set, mail is on, else nothing is mailed. A message is sent in
the background of the request that caused it (`send_later`): the request does not wait on the SMTP server, so a
slow server slows no answer, and an answer does not tell by its time whether a mail was sent (a password reset
must not say whether an account exists). A failed send is logged, never raised into the request (`Deferred`).
"""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from parley.background import Deferred
from parley.config import Settings

SMTP_TIMEOUT_SECONDS = 30.0


class Mailer:
    def __init__(self, smtp_url: str | None, mail_from: str, deferred: Deferred) -> None:
        self._url = urlsplit(smtp_url) if smtp_url else None
        self.mail_from = mail_from
        self._deferred = deferred

    @classmethod
    def build(cls, settings: Settings, deferred: Deferred) -> Mailer:
        url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
        return cls(url, settings.mail_from, deferred)

    @property
    def configured(self) -> bool:
        return self._url is not None and bool(self.mail_from)

    def send_later(self, message: EmailMessage) -> None:
        """Send `message` (its `From` set here) without making the caller wait; a no-op while mail is off."""
        if self.configured:
            self._deferred.run(f"sending the mail {message['Subject']!r} to {message['To']}", self.send(message))

    async def send(self, message: EmailMessage) -> None:
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
