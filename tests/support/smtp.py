"""A real SMTP server (aiosmtpd's, in its own thread) that keeps every message Parley sends it, parsed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.live import free_port


@dataclass
class Mailbox:
    """What the server received: each message with the envelope's recipients. `answer` is what it says to a
    message's DATA (a 4xx or 5xx keeps nothing), `recipient_answer` to each recipient."""

    port: int = 0
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    answer: str = "250 OK"
    recipient_answer: str = "250 OK"  # what it says to each RCPT TO
    refused: int = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]

    async def handle_RCPT(  # aiosmtpd's hook
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.recipient_answer.startswith("2"):
            envelope.rcpt_tos.append(address)
        return self.recipient_answer

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # aiosmtpd's hook
        assert isinstance(envelope.content, bytes)
        if not self.answer.startswith("2"):
            self.refused += 1
            return self.answer
        parsed: Any = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no plain-text part"
    return str(part.get_content())  # type: ignore[attr-defined]


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Mailbox]:
    """Serving on `port` (a free one by default: a test may name a port its Parley was told of before)."""
    mailbox = Mailbox(port=port or free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
