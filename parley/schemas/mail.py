"""Mail: whether it is on, and the mail outbox as the admins see it (workflow.md 3)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from parley.schemas.common import WireModel

MailKind = Literal["invitation", "password_reset", "agent_notification", "visitor_notification"]
MailState = Literal["pending", "sent", "failed", "cancelled"]


class MailStatus(WireModel):
    enabled: bool = Field(description="PARLEY_SMTP_URL and PARLEY_MAIL_FROM are set: mail is sent. Else nothing is.")
    mail_from: str | None = Field(alias="from", description="PARLEY_MAIL_FROM.")


class OutboxMail(WireModel):
    """A mail Parley queued: never its text (an invitation's holds a credential)."""

    id: str
    kind: MailKind
    to: str
    subject: str
    conversation_id: str | None
    status: MailState = Field(
        description="`pending` (to be sent, maybe again), `sent` (the SMTP server took it), `failed` (given up: "
        "`lastError` says why; `POST .../retry` tries again) or `cancelled` (its cause went away before it went, "
        "e.g. the visitor's messages were answered)."
    )
    attempts: int
    last_error: str | None
    next_attempt_at: int | None = Field(description="When the next try is due, while `pending`.")
    created_at: int
    sent_at: int | None


class InboundEmailReceipt(WireModel):
    message_id: str | None = Field(description="The stored message's id, or null when nothing was stored.")
