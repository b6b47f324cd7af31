"""Agents are told by email when a visitor waits (workflow.md 3).

A burst (see parley/storage/repositories/notifications.py) left unanswered and unread for
`PARLEY_NOTIFY_AGENT_AFTER_SECONDS` is mailed to the assigned agent, or for an unassigned conversation to every
active agent with an email, each only if their `emailNotifications` is on: one mail per burst and agent, the cause
`agent:<the burst's first message>:<agent>` making it so with any number of processes sweeping at once.

Every serving process sweeps (`agent_notifier`): a read of the open conversations whose wait began within the
last `LOOKBACK_SECONDS` up to the cutoff, through the (workspace, status, waiting_since) index, and a write only
when a burst is due and not yet told. The mail is composed when it is sent (`compose`), from the conversation as it
is then: answered, read, reassigned or closed meanwhile, it is cancelled and never sent.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.background import Periodic
from parley.clock import now_microseconds
from parley.services.ids import new_id
from parley.services.mail import mail_domain, sender
from parley.services.views import load_related
from parley.storage.database import Transaction
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import mail as mail_repo
from parley.storage.repositories import notifications as repo
from parley.storage.repositories import workspaces as workspace_repo
from parley.storage.repositories.mail import ClaimedMail
from parley.storage.repositories.notifications import Burst, Recipient

if TYPE_CHECKING:
    from parley.services.context import Services

AGENT_CAUSE = "agent"
LOOKBACK_SECONDS = 86_400  # a wait that began longer ago than this was told of, or is not coming back
MAX_SWEEP_SECONDS = 15.0
MAX_QUOTED_LENGTH = 1_000


def agent_notifier(svc: Services) -> Periodic:
    """The sweep, several times within the notification delay (at most every 15 s): a burst is told of at most
    that much later than due."""
    seconds = min(MAX_SWEEP_SECONDS, max(svc.settings.notify_agent_after_seconds / 4, 0.05))

    async def sweep() -> None:
        await queue_agent_notifications(svc, now_microseconds())

    return Periodic("parley-agent-notifier", seconds, sweep)


async def queue_agent_notifications(svc: Services, now_us: int) -> int:
    """Queue a mail for each burst due by `now_us` (the sweep's time: a test's may be ahead) and each agent to tell,
    unless queued before; how many. They go at once."""
    cutoff_us = now_us - int(svc.settings.notify_agent_after_seconds * 1_000_000)
    cutoff = cutoff_us // 1_000_000

    def due(conn: Connection) -> list[tuple[Burst, Recipient]]:
        bursts = [
            burst
            for burst in repo.unanswered_bursts(conn, cutoff - LOOKBACK_SECONDS, cutoff)
            if burst.first_microseconds is not None and burst.first_microseconds <= cutoff_us
        ]
        told: dict[tuple[str, str | None], list[Recipient]] = {}
        pairs: list[tuple[Burst, Recipient]] = []
        for burst in bursts:
            key = (burst.workspace_id, burst.assigned_agent_id)
            if key not in told:
                told[key] = repo.recipients(conn, *key)
            pairs.extend((burst, recipient) for recipient in told[key])
        if not pairs:
            return []
        queued = mail_repo.queued_causes(conn, [_cause(burst, recipient) for burst, recipient in pairs])
        return [(burst, recipient) for burst, recipient in pairs if _cause(burst, recipient) not in queued]

    found = await svc.db.read(due)
    if not found:
        return 0

    def queue(tx: Transaction) -> int:
        queued_us = now_microseconds()
        now = queued_us // 1_000_000
        return sum(
            mail_repo.add(
                tx.conn,
                id=new_id(),
                workspace_id=burst.workspace_id,
                kind="agent_notification",
                cause=_cause(burst, recipient),
                recipient=recipient.email,
                subject="A visitor is waiting",  # composed, with the visitor's name, when it is sent
                message=None,
                conversation_id=burst.conversation_id,
                next_attempt_us=queued_us,
                created_at=now,
                updated_at=now,
            )
            for burst, recipient in found
        )

    queued = await svc.db.write(queue)
    if queued:
        svc.mail.wake()
    return queued


def _cause(burst: Burst, recipient: Recipient) -> str:
    return f"{AGENT_CAUSE}:{burst.first_message_id}:{recipient.id}"


async def compose(svc: Services, mail: ClaimedMail) -> EmailMessage | None:
    """The notification as the conversation is now; None (the mail is cancelled) when the burst was answered or
    read, the conversation closed, or the agent is no longer one to tell."""
    _, first_message_id, agent_id = mail.cause.split(":")
    assert mail.conversation_id is not None

    def load(
        conn: Connection,
    ) -> tuple[WorkspaceRecord, Recipient, list[schemas.Message]] | None:
        burst = repo.burst_of(conn, mail.conversation_id or "")
        if burst is None or burst.first_message_id != first_message_id or burst.first_microseconds is None:
            return None
        recipient = next(
            (r for r in repo.recipients(conn, burst.workspace_id, burst.assigned_agent_id) if r.id == agent_id), None
        )
        workspace = workspace_repo.get_workspace(conn, burst.workspace_id)
        if recipient is None or workspace is None:
            return None
        records = repo.burst_messages(conn, burst.conversation_id, burst.first_microseconds)
        related = load_related(conn, messages=records)
        return workspace, recipient, [svc.public_views.message(record, related) for record in records]

    found = await svc.db.read(load)
    if found is None:
        return None
    workspace, recipient, messages = found
    return _agent_mail(svc, mail, workspace, recipient, messages)


def _agent_mail(
    svc: Services, mail: ClaimedMail, workspace: WorkspaceRecord, recipient: Recipient, messages: list[schemas.Message]
) -> EmailMessage:
    visitor = next((m.end_user.name for m in messages if m.end_user and m.end_user.name), None) or "A visitor"
    console = (
        f"{svc.settings.resolved_public_url}/console/?workspace={workspace.id}#conversation={mail.conversation_id}"
    )
    lines = [_line(message) for message in messages]
    domain = mail_domain(svc)
    thread = f"<conversation-{mail.conversation_id}@{domain}>"

    message = EmailMessage()
    message["From"] = sender(svc, workspace)
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Subject"] = f"{visitor} is waiting for an answer on {workspace.name}"
    message["Message-ID"] = f"<{mail.id}@{domain}>"  # the same on every attempt: a repeat is dropped by it
    message["In-Reply-To"] = thread  # a conversation's notifications thread together
    message["References"] = thread
    lead = f"{visitor} wrote on {workspace.name}, and nobody has answered or read it yet:"
    footer = "You get this mail because email notifications are on for you in Parley."
    quoted = "\n".join(f"> {text}" + (f"\n  {url}" if url else "") for text, url in lines)
    message.set_content(
        f"Hello {recipient.name},\n\n{lead}\n\n{quoted}\n\nAnswer in the console: {console}\n\n{footer}\n"
    )
    page = html.escape
    items = "".join(
        f"<li>{page(text)}" + (f' <a href="{page(url)}">{page(url)}</a>' if url else "") + "</li>"
        for text, url in lines
    )
    message.add_alternative(
        f"<p>Hello {page(recipient.name)},</p><p>{page(lead)}</p><ul>{items}</ul>"
        f'<p><a href="{page(console)}">Answer in the console</a></p><p><small>{page(footer)}</small></p>',
        subtype="html",
    )
    return message


def _line(message: schemas.Message) -> tuple[str, str | None]:
    """A message as one quoted line, and the link of its file."""
    if message.file is not None:
        return f"[{message.file.info.name}]", message.file.url.default
    text = (message.body or "").strip()
    return (text[:MAX_QUOTED_LENGTH] + "…" if len(text) > MAX_QUOTED_LENGTH else text), None
