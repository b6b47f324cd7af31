"""Nobody misses a message (workflow.md 3): agents are mailed a visitor's burst, visitors an agent's run.

- A burst (see parley/storage/repositories/notifications.py) left unanswered and unread for
  `PARLEY_NOTIFY_AGENT_AFTER_SECONDS` is mailed to the assigned agent, or for an unassigned conversation to every
  active agent with an email, each only if their `emailNotifications` is on: one mail per burst and agent, the
  cause `agent:<the burst's first message>:<agent>`.
- A run of agent messages (texts and files, never notes) the visitor left unread for
  `PARLEY_NOTIFY_VISITOR_AFTER_SECONDS` is mailed to a visitor who has an email: one mail per run, the cause
  `visitor:<the run's first message>`, with `Reply-To` the conversation's reply address (parley/services/
  inbound_email.py), so that answering the mail continues the chat.

Every serving process sweeps (`notifier`): one read per kind over each workspace's conversations active within the
last `LOOKBACK_SECONDS` (on their (workspace_id, last_microseconds) index) answers only the mails due and not yet
queued, at most SWEEP_LIMIT, and a write follows only when there are some; the unique cause makes it one mail with
any number of processes. A mail
is composed when it is sent (`compose`), from the conversation as it is then: answered, read, reassigned, closed or
its visitor's email gone meanwhile, it is cancelled and never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from parley import schemas
from parley.background import Periodic
from parley.clock import now_microseconds
from parley.mail.composing import header_text, named_address, write_body
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
SWEEP_LIMIT = 500  # of each kind a sweep queues; the next sweep, seconds later, takes the rest


def notifier(svc: Services) -> Periodic:
    """The sweep, several times within the shorter delay (at most every 15 s): a mail goes at most that much later
    than due."""
    shortest = min(svc.settings.notify_agent_after_seconds, svc.settings.notify_visitor_after_seconds)
    seconds = min(MAX_SWEEP_SECONDS, max(shortest / 4, 0.05))

    async def sweep() -> None:
        await queue_notifications(svc, now_microseconds())

    return Periodic("parley-notifier", seconds, sweep)


async def queue_notifications(svc: Services, now_us: int) -> int:
    """Queue the notifications due by `now_us` (the sweep's time: a test's may be ahead) and not queued before, at
    most SWEEP_LIMIT of each kind (the next sweep takes the rest); how many. They go at once."""
    settings = svc.settings
    floor_us = now_us - LOOKBACK_SECONDS * 1_000_000
    agent_cutoff_us = now_us - int(settings.notify_agent_after_seconds * 1_000_000)
    visitor_cutoff_us = now_us - int(settings.notify_visitor_after_seconds * 1_000_000)

    def find(conn: Connection) -> list[tuple[schemas.MailKind, repo.Notice]]:
        agents = repo.agents_due(conn, floor_us, agent_cutoff_us, SWEEP_LIMIT)
        visitors = repo.visitors_due(conn, floor_us, visitor_cutoff_us, SWEEP_LIMIT)
        return [(AGENT_KIND, notice) for notice in agents] + [(VISITOR_KIND, notice) for notice in visitors]

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
                workspace_id=notice.workspace_id,
                kind=kind,
                cause=notice.cause,
                recipient=notice.recipient,
                subject="A new message",  # composed, with names, when it is sent
                message=None,
                conversation_id=notice.conversation_id,
                next_attempt_us=queued_us,
                created_at=now,
                updated_at=now,
            )
            for kind, notice in found
        )

    queued = await svc.db.write(queue)
    if queued:
        svc.mail.wake()
    return queued


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
    start = repo.unread_start(conn, first_message_id)
    waiting_since = start.waiting_since if start else None
    if start is None or start.status != repo.OPEN or waiting_since is None:
        return None
    if waiting_since * 1_000_000 > start.microseconds:
        return None  # answered since: the wait that runs now began after it
    told = repo.recipients(conn, start.workspace_id, start.assigned_agent_id)
    recipient = next((r for r in told if r.id == agent_id), None)
    records = repo.burst_messages(conn, start.conversation_id, start.microseconds)
    addressed = None if recipient is None else (recipient.name, recipient.email)
    return _composed(conn, svc, start.workspace_id, addressed, records)


def _load_visitor_mail(conn: Connection, svc: Services, mail: ClaimedMail) -> Composed | None:
    """None when the visitor read the run, or has no email any more."""
    start = repo.unread_start(conn, mail.cause.split(":")[1])
    if start is None or start.email is None:
        return None
    records = repo.run_messages(conn, start.conversation_id, start.microseconds)
    return _composed(conn, svc, start.workspace_id, (start.name or "", start.email), records)


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
    return Composed(workspace, named_address(name, address), name, messages)


def _agent_mail(svc: Services, mail: ClaimedMail, composed: Composed) -> EmailMessage:
    workspace, messages = composed.workspace, composed.messages
    visitor = next((m.end_user.name for m in messages if m.end_user and m.end_user.name), None) or "A visitor"
    console = (
        f"{svc.settings.resolved_public_url}/console/?workspace={workspace.id}&conversation={mail.conversation_id}"
    )
    message = _headed(svc, mail, composed, f"{visitor} is waiting for an answer on {workspace.name}")
    write_body(
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
        message["Reply-To"] = named_address(workspace.name, replies_to)
    write_body(
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
    message["Subject"] = header_text(subject)
    message["Message-ID"] = f"<{mail.id}@{domain}>"  # the same on every attempt: a repeat is dropped by it
    message["In-Reply-To"] = thread  # a conversation's mails thread together
    message["References"] = thread
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders do not answer it
    return message


def _line(message: schemas.Message) -> tuple[str, str | None]:
    """A message as one quoted line, and the link of its file."""
    if message.file is not None:
        return f"[{message.file.info.name}]", message.file.url.default
    text = (message.body or "").strip()
    return (text[:MAX_QUOTED_LENGTH] + "…" if len(text) > MAX_QUOTED_LENGTH else text), None
