"""Email replies continue the chat (workflow.md 3).

A visitor's notification mail says `Reply-To: reply+<token>@<PARLEY_INBOUND_EMAIL_DOMAIN>`, the token the
conversation's id and an HMAC of it under a key derived from the server's secret key: it cannot be guessed for
another conversation, nor forged without the key. The address is the mail's credential: `From` is not checked (a
visitor may answer from another address of theirs), and mail to an address that is not one of these is refused
before anything is read or stored (SMTP 550, HTTP 404).

A reply is the visitor writing, as from the widget: its text (quotes and signatures cut, see parley/mail/inbound.py)
and each attachment, through the same pipeline as the widget's uploads, go into the conversation, or, if it was
locked since, into the visitor's open conversation or a new one. Each is stored once per mail: their uuids come from
the mail's `Message-ID` (or its body's hash), a delivery stores only the parts no earlier one stored (so a retry of
one that failed halfway loses no attachment), and the message writer stores a uuid once in a conversation and the
visitor path once across the visitor's conversations. An attachment larger than PARLEY_MAX_FILE_BYTES is left out,
and the text says so. The reply marks the agents' messages it answered read, as the widget's read receipt does.

A reply address works while its visitor has an email: once erased (parley/services/erasure.py), or with their email
removed, their replies are refused as an unknown address's are.

An automatic reply (an out-of-office notice, a bounce: parley/mail/inbound.py tells) is accepted and dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from starlette.datastructures import Headers, UploadFile

from parley import schemas
from parley.config import Settings
from parley.errors import ParleyError, not_found, validation_error
from parley.mail.inbound import Attachment, InboundMail, MalformedMail, parse_mail
from parley.mail.listener import ReplyHandler, SmtpListener
from parley.services import messages, people, visitors, workspaces
from parley.storage.records import ConversationRef, MessageRecord
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import messages as message_repo

if TYPE_CHECKING:
    from parley.services.context import Services

REPLY_PREFIX = "reply+"
TAG_LENGTH = 24  # hex digits of the HMAC: 96 bits, and the address's local part stays under 64 characters
_KEY_PURPOSE = b"parley reply addresses v1"
EMAIL_SOURCE: schemas.MessageSource = "email"


def reply_address(settings: Settings, conversation_id: str) -> str | None:
    """The conversation's reply address; None without PARLEY_INBOUND_EMAIL_DOMAIN."""
    domain = settings.inbound_email_domain
    if not domain:
        return None
    return f"{REPLY_PREFIX}{uuid.UUID(conversation_id).hex}{_tag(settings, conversation_id)}@{domain.lower()}"


def addressed_conversation(settings: Settings, recipients: Sequence[str]) -> str | None:
    """The conversation whose reply address is among `recipients`, if its token is one Parley made."""
    domain = settings.inbound_email_domain.lower()
    for address in recipients:
        local, _, at = address.lower().rpartition("@")
        token = local.removeprefix(REPLY_PREFIX)
        if not domain or at != domain or token == local or len(token) != 32 + TAG_LENGTH:
            continue
        try:
            conversation_id = str(uuid.UUID(hex=token[:32]))
        except ValueError:
            continue
        if hmac.compare_digest(token[32:], _tag(settings, conversation_id)):
            return conversation_id
    return None


def _tag(settings: Settings, conversation_id: str) -> str:
    key = hmac.new(settings.signing_key.encode(), _KEY_PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, conversation_id.encode(), hashlib.sha256).hexdigest()[:TAG_LENGTH]


async def receive(svc: Services, raw: bytes, envelope_recipients: Sequence[str] = ()) -> schemas.Message | None:
    """Store a reply: the first message this call stored, or None when every part of this mail was stored before,
    or when it is an automatic reply (accepted, so its sender does not try again, and dropped). 413 past
    PARLEY_MAX_INBOUND_EMAIL_BYTES, 422 for what is not a mail, 404 when no recipient is a reply address."""
    limit = svc.settings.max_inbound_email_bytes
    if len(raw) > limit:
        raise ParleyError(413, "payload_too_large", f"The mail is larger than {limit} bytes.")
    conversation_id = addressed_conversation(svc.settings, envelope_recipients)  # a refused address reads nothing more
    try:
        mail = parse_mail(raw, envelope_recipients)
    except MalformedMail as exc:
        raise validation_error(str(exc)) from None
    conversation_id = conversation_id or addressed_conversation(svc.settings, mail.recipients)
    if conversation_id is None:
        raise not_found("Reply address")
    if mail.automatic:
        return None
    conversation = await svc.db.read(conversation_repo.conversation_ref, conversation_id)
    workspace = await workspaces.get_workspace(svc, conversation.workspace_id) if conversation else None
    end_user = await people.cached_end_user(svc, conversation.end_user_id) if conversation else None
    if conversation is None or workspace is None or end_user is None or end_user.email is None:
        # The conversation was purged, or its visitor erased since (which forgets their email): a visitor who asked
        # to be forgotten is not written back into the conversation by an old mail's address.
        raise not_found("Reply address")
    visitor = visitors.Visitor(workspace, end_user)
    parts = _parts(svc.settings, mail, hashlib.sha256(mail.key.encode()).hexdigest()[:40])
    stored_before = await svc.db.read(_stored_parts, conversation, [part.uuid for part in parts])
    stored_now: list[schemas.Message] = []
    for part in parts:
        if part.uuid not in stored_before:
            stored_now.append(await _store(svc, visitor, conversation, part))
    # The visitor answered the mail that quoted the agents' messages: those are read, as a widget's receipt would
    # say, so the next agent message starts a new run and is mailed in turn. They are in the addressed conversation
    # even when a lock moved the reply to another. Marked on a retry too: a delivery that failed after storing
    # every part may have failed before this.
    newest = max([*(r.microseconds for r in stored_before.values()), *(m.microseconds for m in stored_now)])
    await messages.mark_read(svc, workspace, conversation.id, newest, by_end_user=True)
    return stored_now[0] if stored_now else None


@dataclass(frozen=True, slots=True)
class _Part:
    """One message a mail makes: its text, or one of its attachments."""

    uuid: str
    content: str | Attachment


def _parts(settings: Settings, mail: InboundMail, key: str) -> list[_Part]:
    """The mail's text (saying which attachments were too large to keep), then each attachment kept. Their uuids
    are the same for every delivery of the mail, so that each part is stored once: the first one's `email:<key>`,
    whichever it is (as mails stored before were numbered), the others' `email:<key>:<n>`."""
    limit = settings.max_file_bytes
    kept = [a for a in mail.attachments if len(a.data) <= limit]
    left_out = [
        f"(The attachment {a.filename} was not kept: it is larger than {limit // (1024 * 1024)} MB.)"
        for a in mail.attachments
        if len(a.data) > limit
    ]
    text = "\n\n".join(part for part in [mail.text, *left_out] if part)[: settings.max_text_length]
    contents: list[str | Attachment] = [text, *kept] if text else [*kept]
    return [_Part(f"email:{key}" if n == 0 else f"email:{key}:{n}", content) for n, content in enumerate(contents)]


def _stored_parts(conn: Connection, conversation: ConversationRef, uuids: list[str]) -> dict[str, MessageRecord]:
    """The parts of a mail stored already, by uuid, in any of the visitor's conversations (a lock may have moved
    them): a delivery that failed halfway stored some, and its retry stores the others."""
    theirs = conversation_repo.conversation_ids_of(conn, conversation.workspace_id, conversation.end_user_id)
    found = message_repo.messages_with_client_uuids(conn, [(c, u) for c in theirs for u in uuids])
    return {client_uuid: record for (_, client_uuid), record in found.items()}


async def _store(
    svc: Services, visitor: visitors.Visitor, conversation: ConversationRef, part: _Part
) -> schemas.Message:
    if isinstance(part.content, str):
        request = schemas.SendTextRequest(uuid=part.uuid, text=part.content)
        return await messages.send_visitor_text(
            svc, visitor, request, views=svc.public_views, source=EMAIL_SOURCE, into=conversation
        )
    upload = UploadFile(
        io.BytesIO(part.content.data),
        size=len(part.content.data),
        filename=part.content.filename,
        headers=Headers({"content-type": "application/octet-stream"}),
    )
    return await messages.send_visitor_upload(
        svc, visitor, part.uuid, upload, views=svc.public_views, source=EMAIL_SOURCE, into=conversation
    )


def smtp_listener(svc: Services) -> SmtpListener | None:
    """The SMTP listener of a serving process, when PARLEY_INBOUND_SMTP_PORT is set."""
    settings = svc.settings
    if settings.inbound_smtp_port is None:
        return None

    async def store(raw: bytes, recipients: list[str]) -> None:
        await receive(svc, raw, recipients)

    handler = ReplyHandler(lambda address: addressed_conversation(settings, [address]) is not None, store)
    hostname = settings.inbound_email_domain or "parley"
    return SmtpListener(
        settings.inbound_smtp_host, settings.inbound_smtp_port, handler, settings.max_inbound_email_bytes, hostname
    )
