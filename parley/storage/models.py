"""The schema, declared once for SQLite and PostgreSQL. Times are unix seconds; message order is `microseconds`."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UUID_LEN = 36


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[str]:
    return mapped_column(String(UUID_LEN), primary_key=True)


def _workspace_fk(index: bool = True) -> Mapped[str]:
    """`index=False` where a composite index already leads with the workspace: one B-tree less to write per row."""
    return mapped_column(String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"), index=index)


class Timestamped:
    """Unix seconds, as on the wire. Listings order by a `created_us` column where seconds would tie."""

    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Workspace(Timestamped, Base):
    __tablename__ = "workspaces"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(200))
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class ApiToken(Base):
    """A workspace's API token (agent_id NULL) or an agent's console token. Only the SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    agent_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)  # written at most once a minute per process
    expires_at: Mapped[int | None] = mapped_column(BigInteger)  # a sign-in's session ends; other tokens do not


class StoredFile(Timestamped, Base):
    __tablename__ = "files"
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    type: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(127))
    ext: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(255), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)


class Agent(Timestamped, Base):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("workspace_id", "service_user_id"),
        # Several agents may have none (NULLs are distinct in a unique index on both databases).
        Index("uq_agents_workspace_email", "workspace_id", "email", unique=True),
    )
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    service_user_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # derived: availability online and a console connected
    availability: Mapped[str] = mapped_column(String(16), server_default="online")  # the agent's own choice
    avatar_file_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("files.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[str | None] = mapped_column(String(320))  # lower-cased; how they will sign in
    role: Mapped[str] = mapped_column(String(16), server_default="agent")  # owner, admin, agent
    email_notifications: Mapped[bool] = mapped_column(Boolean, server_default=sa_true())
    created_us: Mapped[int] = mapped_column(BigInteger)


class AgentPassword(Base):
    """An agent's password, as its argon2id hash: a table of its own, so that no read of agents carries it."""

    __tablename__ = "agent_passwords"
    agent_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[int] = mapped_column(BigInteger)


class AgentLink(Base):
    """An invitation or a password reset sent to an agent: single use, short-lived, only its SHA-256 kept."""

    __tablename__ = "agent_links"
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    agent_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invitation, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who changed what in a workspace's settings, people and credentials, written in the change's transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_created", "workspace_id", "created_us", "id"),)
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk(index=False)
    created_us: Mapped[int] = mapped_column(BigInteger)
    actor_type: Mapped[str] = mapped_column(String(16))  # api_token, agent, cli
    actor_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    actor_name: Mapped[str | None] = mapped_column(String(200))  # as it was then
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class EndUser(Timestamped, Base):
    __tablename__ = "end_users"
    __table_args__ = (
        UniqueConstraint("workspace_id", "service_user_id"),
        Index("ix_end_users_workspace_name", "workspace_id", "name"),  # a new visitor's name is checked unused
    )
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk(index=False)
    service_user_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    meta: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Bot(Timestamped, Base):
    __tablename__ = "bots"
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))


class Conversation(Timestamped, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_workspace_activity", "workspace_id", "last_microseconds"),
        Index("ix_conversations_workspace_created", "workspace_id", "created_us", "id"),
        Index("ix_conversations_end_user_created", "end_user_id", "created_us"),  # a visitor's latest, at once
        # The inbox's lists: a status, newest first or longest waiting first; an assignee's (or nobody's), by status.
        # `id` last: it breaks ties of `created_us` in the listings' order, which the index then serves whole.
        Index("ix_conversations_workspace_status_created", "workspace_id", "status", "created_us", "id"),
        Index(
            "ix_conversations_workspace_status_waiting", "workspace_id", "status", "waiting_since", "created_us", "id"
        ),
        Index(
            "ix_conversations_workspace_assignee_status",
            "workspace_id",
            "assigned_agent_id",
            "status",
            "created_us",
            "id",
        ),
    )
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"))
    end_user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("end_users.id", ondelete="CASCADE"))
    assigned_agent_id: Mapped[str | None] = mapped_column(
        String(UUID_LEN), ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), server_default="open")  # open, pending, snoozed, resolved
    # Set only while snoozed, so its index holds just the snoozes, and the waker's range scan finds the due ones.
    snoozed_until: Mapped[int | None] = mapped_column(BigInteger, index=True)
    waiting_since: Mapped[int | None] = mapped_column(BigInteger)  # the visitor's unanswered wait, from its start
    last_microseconds: Mapped[int] = mapped_column(BigInteger, default=0)
    created_us: Mapped[int] = mapped_column(BigInteger)


class ConversationLabel(Base):
    """One label of a conversation. `created_us` is the conversation's, so the label filter reads its index newest
    first and the label counts read it alone."""

    __tablename__ = "conversation_labels"
    __table_args__ = (
        Index("ix_conversation_labels_workspace_label", "workspace_id", "label", "created_us", "conversation_id"),
    )
    conversation_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(50), primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk(index=False)
    created_us: Mapped[int] = mapped_column(BigInteger)


class ConversationActivity(Base):
    """Who did what to a conversation (assigned, unassigned, locked, unlocked, a status, labels), written in the
    change's own transaction. `microseconds` is the change's event's, from the conversation's message-order clock,
    so an activity sits among the messages. Names are not copied here: they are read with the entries, so an
    erased visitor's name is gone from the log too."""

    __tablename__ = "conversation_activity"
    __table_args__ = (Index("ix_conversation_activity_conversation_microseconds", "conversation_id", "microseconds"),)
    id: Mapped[str] = _id()
    conversation_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_type: Mapped[str] = mapped_column(String(16))  # agent, api, visitor, system
    actor_agent_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="SET NULL"))
    agent_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="SET NULL"))
    status: Mapped[str | None] = mapped_column(String(16))
    snoozed_until: Mapped[int | None] = mapped_column(BigInteger)
    labels: Mapped[list[str] | None] = mapped_column(JSON)
    microseconds: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Review(Timestamped, Base):
    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_agent_created", "agent_id", "created_at"),)
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    conversation_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="CASCADE"))
    end_user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("end_users.id", ondelete="CASCADE"))
    mark: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")


class Message(Timestamped, Base):
    """One message. `client_uuid` + `request_digest` make sends idempotent per conversation."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "client_uuid"),
        UniqueConstraint("conversation_id", "microseconds"),
    )
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk()
    conversation_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("conversations.id", ondelete="CASCADE"))
    client_uuid: Mapped[str | None] = mapped_column(String(100))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("files.id", ondelete="SET NULL"))
    review_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("reviews.id", ondelete="SET NULL"))
    bot_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("bots.id", ondelete="SET NULL"))
    agent_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("agents.id", ondelete="SET NULL"))
    end_user_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("end_users.id", ondelete="SET NULL"))
    microseconds: Mapped[int] = mapped_column(BigInteger)
    # How it arrived (api, widget, console, email). Every insert names it; the default is what 0012 gave the rows
    # stored before it whose author says nothing truer (a visitor's: the widget, or the External API on their behalf).
    source: Mapped[str] = mapped_column(String(16), server_default="widget")


# Compared byte by byte on both engines (SQLite's BINARY, PostgreSQL's "C"), so both list shortcuts in one order: a
# database's locale collation would order `a-b` and `ab` by the letters alone.
SHORTCUT = String(32).with_variant(String(32, collation="C"), "postgresql")


class CannedResponse(Timestamped, Base):
    """A reply template of the workspace; the console offers it when an agent types `/` and its shortcut."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("workspace_id", "shortcut"),)  # also the listing's order, by shortcut
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = _workspace_fk(index=False)
    shortcut: Mapped[str] = mapped_column(SHORTCUT)
    text: Mapped[str] = mapped_column(Text)


class WorkspaceStream(Base):
    """The last stream position handed out in a workspace (see `Event.stream_position`).

    Bumped by one upsert in each transaction that writes events, so the row stays locked until that transaction
    commits: two transactions of one workspace commit in the order of the positions they hold, and a rollback
    hands its positions back. The stream is gapless and in commit order on one process or many.
    """

    __tablename__ = "workspace_streams"
    workspace_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """The outbox: every change's event, written in the change's own transaction, published after commit.

    A conversation's events take their `microseconds` from the same counter as its messages, so within a
    conversation they are strictly ordered and a visitor resumes from the last `microseconds` it saw. Across a
    workspace, `microseconds` repeat (each conversation counts on its own): the agent socket resumes by
    `stream_position`, 1, 2, 3... per workspace in commit order (`WorkspaceStream`). `position` is the table's own
    key, from a sequence: unique, but not in commit order across transactions.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_conversation_microseconds", "conversation_id", "microseconds"),
        Index("ix_events_workspace_microseconds", "workspace_id", "microseconds"),
        Index("ix_events_workspace_stream_position", "workspace_id", "stream_position", unique=True),
    )
    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    workspace_id: Mapped[str] = _workspace_fk(index=False)
    conversation_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    microseconds: Mapped[int] = mapped_column(BigInteger)
    stream_position: Mapped[int] = mapped_column(BigInteger)
    # Its routing (parley.schemas.events.Routing), read by a visitor's replay as the live fan-out reads it.
    end_user_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    agent_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    agents_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[int] = mapped_column(BigInteger)


# Webhooks (issue 5): the workspace's endpoint, and one delivery per (event, webhook)
class Webhook(Timestamped, Base):
    """The workspace's one webhook. `secret` signs every delivery, so it is kept, sealed (never shown after creation);
    `events` is the list of event names it wants, or NULL for all."""

    __tablename__ = "webhooks"
    id: Mapped[str] = _id()
    workspace_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(512))  # sealed: parley.webhooks.sealing
    events: Mapped[list[str] | None] = mapped_column(JSON)


class WebhookDelivery(Base):
    """One event to deliver to one webhook, created in the event's own transaction.

    `seq` orders deliveries as their events were committed; `stream` is the conversation id (or "" for events
    of no conversation): a delivery waits while an earlier one of its stream is pending. A worker leases a row
    (`claim_token`, `locked_until_us`) while it posts it. Times ending in `_us` are unix microseconds.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_stream", "webhook_id", "stream", "status", "seq"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_us"),
        Index("ix_webhook_deliveries_workspace_seq", "workspace_id", "seq"),
        Index("ix_webhook_deliveries_event_id", "event_id"),  # an event's deliveries: pruning, purge, the cascade
    )
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    workspace_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("events.id", ondelete="CASCADE"))
    event_name: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    stream: Mapped[str] = mapped_column(String(UUID_LEN))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start_us: Mapped[int] = mapped_column(BigInteger)
    next_attempt_us: Mapped[int] = mapped_column(BigInteger)
    locked_until_us: Mapped[int | None] = mapped_column(BigInteger)
    claim_token: Mapped[str | None] = mapped_column(String(UUID_LEN))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class OutboxMail(Base):
    """A mail to send, written in the transaction of its cause and sent by the mail worker (parley/mail/worker.py).

    `cause` names what it is for (an invitation link, a burst of unanswered visitor messages) and is unique: a cause
    seen twice, by two processes at once too, queues one mail. `message` is the whole RFC 822 message, sealed (a
    link in it is a credential), and is emptied once the mail is sent or cancelled (a failed one keeps it, for an
    admin's retry); recipient and subject stay for the admins' list. A kind that is composed when it is sent (a
    notification, which must not go once answered) stores no message but its conversation. Times ending in `_us`
    are unix microseconds.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_us"),
        Index("ix_mail_outbox_workspace_seq", "workspace_id", "seq"),
    )
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    workspace_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_us: Mapped[int] = mapped_column(BigInteger)
    locked_until_us: Mapped[int | None] = mapped_column(BigInteger)
    claim_token: Mapped[str | None] = mapped_column(String(UUID_LEN))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
