"""Nobody misses a message (workflow.md 3): agents are mailed a visitor's burst, visitors an agent's run.

- A burst (see parley/storage/repositories/notifications.py) left unanswered and unread for
  `PARLEY_NOTIFY_AGENT_AFTER_SECONDS` is mailed to the assigned agent, or for an unassigned conversation to every
  active agent with an email, each only if their `emailNotifications` is on: one mail per burst and agent, the
  cause `agent:<the burst's first message>:<agent>`.
- A run of agent messages (texts and files, never notes) the visitor left unread for
  `PARLEY_NOTIFY_VISITOR_AFTER_SECONDS` is mailed to a visitor who has an email: one mail per run, the cause
  `visitor:<the run's first message>`, with `Reply-To` the conversation's reply address (parley/services/
  inbound_email.py), so that answering the mail continues the chat.

Every serving process sweeps (`notifier`): a read of the conversations that can be due, from each workspace on
its own index (the open ones whose wait began, and those active, within the last `LOOKBACK_SECONDS`), and a write
only when a mail is due and not yet queued; the unique cause makes it one mail with any number of processes. A mail
is composed when it is sent (`compose`), from the conversation as it is then: answered, read, reassigned, closed or
its visitor's email gone meanwhile, it is cancelled and never sent.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.background import Periodic
from parley.clock import now_microseconds
from parley.services.ids import new_id
from parley.services.inbound_email import reply_address
from parley.services.mail import mail_domain, sender
from parley.services.views import load_related
from parley.storage.database import Transaction
from parley.storage.records import MessageRecord, WorkspaceRecord
from parley.storage.repositories import mail as mail_repo
from parley.storage.repositories import notifications as repo
from parley.storage.repositories import workspaces as workspace_repo
from parley.storage.repositories.mail import ClaimedMail

if TYPE_CHECKING:
    from parley.services.context import Services

AGENT_KIND: schemas.MailKind = "agent_notification"
VISITOR_KIND: schemas.MailKind = "visitor_notification"
LOOKBACK_SECONDS = 86_400  # a burst or run older than this was told of, or is not coming back
MAX_SWEEP_SECONDS = 15.0
MAX_QUOTED_LENGTH = 1_000


@dataclass(frozen=True, slots=True)
class Due:
    """A notification to queue."""

    kind: schemas.MailKind
    cause: str
    workspace_id: str
    conversation_id: str
    recipient: str


def notifier(svc: Services) -> Periodic:
    """The sweep, several times within the shorter delay (at most every 15 s): a mail goes at most that much later
    than due."""
    shortest = min(svc.settings.notify_agent_after_seconds, svc.settings.notify_visitor_after_seconds)
    seconds = min(MAX_SWEEP_SECONDS, max(shortest / 4, 0.05))

    async def sweep() -> None:
        await queue_notifications(svc, now_microseconds())

    return Periodic("parley-notifier", seconds, sweep)


async def queue_notifications(svc: Services, now_us: int) -> int:
    """Queue every notification due by `now_us` (the sweep's time: a test's may be ahead) and not queued before;
    how many. They go at once."""
    agent_cutoff_us = now_us - int(svc.settings.notify_agent_after_seconds * 1_000_000)
    visitor_cutoff_us = now_us - int(svc.settings.notify_visitor_after_seconds * 1_000_000)

    def find(conn: Connection) -> list[Due]:
        due = _agents_due(conn, agent_cutoff_us) + _visitors_due(conn, visitor_cutoff_us)
        if not due:
            return []
        queued = mail_repo.queued_causes(conn, [d.cause for d in due])
        return [d for d in due if d.cause not in queued]

    found = await svc.db.read(find)
    if not found:
        return 0

    def queue(tx: Transaction) -> int:
        queued_us = now_microseconds()
        now = queued_us // 1_000_000
        return sum(
            mail_repo.add(
                tx.conn,
                id=new_id(),
                workspace_id=due.workspace_id,
                kind=due.kind,
                cause=due.cause,
                recipient=due.recipient,
                subject="A new message",  # composed, with names, when it is sent
                message=None,
                conversation_id=due.conversation_id,
                next_attempt_us=queued_us,
                created_at=now,
                updated_at=now,
            )
            for due in found
        )

    queued = await svc.db.write(queue)
    if queued:
        svc.mail.wake()
    return queued


def _agents_due(conn: Connection, cutoff_us: int) -> list[Due]:
    cutoff = cutoff_us // 1_000_000
    told: dict[tuple[str, str | None], list[repo.Recipient]] = {}
    due: list[Due] = []
    for burst in repo.unanswered_bursts(conn, cutoff - LOOKBACK_SECONDS, cutoff):
        if burst.first_microseconds is None or burst.first_microseconds > cutoff_us:
            continue
        key = (burst.workspace_id, burst.assigned_agent_id)
        if key not in told:
            told[key] = repo.recipients(conn, *key)
        due.extend(
            Due(
                AGENT_KIND, f"agent:{burst.first_message_id}:{r.id}", burst.workspace_id, burst.conversation_id, r.email
            )
            for r in told[key]
        )
    return due


def _visitors_due(conn: Connection, cutoff_us: int) -> list[Due]:
    return [
        Due(VISITOR_KIND, f"visitor:{run.first_message_id}", run.workspace_id, run.conversation_id, run.email)
        for run in repo.unread_runs(conn, cutoff_us - LOOKBACK_SECONDS * 1_000_000)
        if run.first_microseconds is not None and run.first_microseconds <= cutoff_us
    ]


# Composing, when the mail is sent
@dataclass(frozen=True, slots=True)
class Composed:
    workspace: WorkspaceRecord
    to: str  # the `To` header
    name: str  # whom it greets
    messages: list[schemas.Message]


async def compose(svc: Services, mail: ClaimedMail) -> EmailMessage | None:
    """The notification as the conversation is now; None (the mail is cancelled) when its cause went away."""
    load = _load_agent_mail if mail.kind == AGENT_KIND else _load_visitor_mail
    found = await svc.db.read(load, svc, mail)
    if found is None:
        return None
    write = _agent_mail if mail.kind == AGENT_KIND else _visitor_mail
    return write(svc, mail, found)


def _load_agent_mail(conn: Connection, svc: Services, mail: ClaimedMail) -> Composed | None:
    """None when the burst was answered or read, the conversation closed, or the agent is no longer one to tell."""
    _, first_message_id, agent_id = mail.cause.split(":")
    burst = repo.burst_of(conn, mail.conversation_id or "")
    if burst is None or burst.first_message_id != first_message_id or burst.first_microseconds is None:
        return None
    told = repo.recipients(conn, burst.workspace_id, burst.assigned_agent_id)
    recipient = next((r for r in told if r.id == agent_id), None)
    records = repo.burst_messages(conn, burst.conversation_id, burst.first_microseconds)
    addressed = None if recipient is None else (recipient.name, recipient.email)
    return _composed(conn, svc, burst.workspace_id, addressed, records)


def _load_visitor_mail(conn: Connection, svc: Services, mail: ClaimedMail) -> Composed | None:
    """None when the visitor read the run, or has no email any more."""
    run = repo.run_of(conn, mail.conversation_id or "")
    if run is None or f"visitor:{run.first_message_id}" != mail.cause or run.first_microseconds is None:
        return None
    records = repo.run_messages(conn, run.conversation_id, run.first_microseconds)
    return _composed(conn, svc, run.workspace_id, (run.name or "", run.email), records)


def _composed(
    conn: Connection,
    svc: Services,
    workspace_id: str,
    recipient: tuple[str, str] | None,
    records: list[MessageRecord],
) -> Composed | None:
    workspace = workspace_repo.get_workspace(conn, workspace_id)
    if recipient is None or workspace is None or not records:
        return None
    related = load_related(conn, messages=records)
    messages = [svc.public_views.message(record, related) for record in records]
    name, address = recipient
    return Composed(workspace, formataddr((name, address)), name, messages)


def _agent_mail(svc: Services, mail: ClaimedMail, composed: Composed) -> EmailMessage:
    workspace, messages = composed.workspace, composed.messages
    visitor = next((m.end_user.name for m in messages if m.end_user and m.end_user.name), None) or "A visitor"
    console = (
        f"{svc.settings.resolved_public_url}/console/?workspace={workspace.id}&conversation={mail.conversation_id}"
    )
    message = _headed(svc, mail, composed, f"{visitor} is waiting for an answer on {workspace.name}")
    _write_body(
        message,
        greeting=f"Hello {composed.name},",
        lead=f"{visitor} wrote on {workspace.name}, and nobody has answered or read it yet:",
        lines=[_line(m) for m in messages],
        action=("Answer in the console", console),
        footer="You get this mail because email notifications are on for you in Parley.",
    )
    return message


def _visitor_mail(svc: Services, mail: ClaimedMail, composed: Composed) -> EmailMessage:
    workspace, messages = composed.workspace, composed.messages
    agent = next((m.agent.name for m in messages if m.agent and m.agent.name), None) or workspace.name
    message = _headed(svc, mail, composed, f"{agent} answered you on {workspace.name}")
    replies_to = reply_address(svc.settings, mail.conversation_id or "")
    if replies_to:
        message["Reply-To"] = formataddr((workspace.name, replies_to))
    _write_body(
        message,
        greeting=f"Hello {composed.name}," if composed.name else "Hello,",
        lead=f"{agent} of {workspace.name} answered you, and you have not read it yet:",
        lines=[_line(m) for m in messages],
        action=None,
        footer="Reply to this mail to answer: it goes to the same conversation."
        if replies_to
        else f"Answer on {workspace.name}'s site, in the chat.",
    )
    return message


def _headed(svc: Services, mail: ClaimedMail, composed: Composed, subject: str) -> EmailMessage:
    domain = mail_domain(svc)
    thread = f"<conversation-{mail.conversation_id}@{domain}>"
    message = EmailMessage()
    message["From"] = sender(svc, composed.workspace)
    message["To"] = composed.to
    message["Subject"] = subject
    message["Message-ID"] = f"<{mail.id}@{domain}>"  # the same on every attempt: a repeat is dropped by it
    message["In-Reply-To"] = thread  # a conversation's mails thread together
    message["References"] = thread
    return message


def _write_body(
    message: EmailMessage,
    *,
    greeting: str,
    lead: str,
    lines: list[tuple[str, str | None]],
    action: tuple[str, str] | None,
    footer: str,
) -> None:
    """The plain-text part and its HTML twin: the greeting, the messages in order (files as links), an action."""
    quoted = "\n".join(f"> {text}" + (f"\n  {url}" if url else "") for text, url in lines)
    act = f"{action[0]}: {action[1]}\n\n" if action else ""
    message.set_content(f"{greeting}\n\n{lead}\n\n{quoted}\n\n{act}{footer}\n")
    page = html.escape
    links = [f' <a href="{page(url)}">{page(url)}</a>' if url else "" for _, url in lines]
    items = "".join(f"<li>{page(text)}{link}</li>" for (text, _), link in zip(lines, links, strict=True))
    act_html = f'<p><a href="{page(action[1])}">{page(action[0])}</a></p>' if action else ""
    message.add_alternative(
        f"<p>{page(greeting)}</p><p>{page(lead)}</p><ul>{items}</ul>{act_html}<p><small>{page(footer)}</small></p>",
        subtype="html",
    )


def _line(message: schemas.Message) -> tuple[str, str | None]:
    """A message as one quoted line, and the link of its file."""
    if message.file is not None:
        return f"[{message.file.info.name}]", message.file.url.default
    text = (message.body or "").strip()
    return (text[:MAX_QUOTED_LENGTH] + "…" if len(text) > MAX_QUOTED_LENGTH else text), None
