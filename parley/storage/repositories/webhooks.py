"""Webhooks and their deliveries: the only SQL of the webhook feature.

A delivery row is created in the same transaction as its event (see `parley.storage.outbox`). Workers lease due
rows (`claim_due`), post them outside any transaction, and record the outcome only if they still hold the lease
(`finish`). On PostgreSQL the claim locks rows with `FOR UPDATE SKIP LOCKED`, so processes claiming at the same
moment never take the same row; the lease then keeps the row theirs while the POST is in flight. On SQLite the
one write connection serialises claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Result, Update, bindparam, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from parley.storage.models import Event, Webhook, WebhookDelivery
from parley.storage.records import Record
from parley.storage.repositories._query import fetch_all, fetch_one

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WebhookRecord(Record):
    id: str
    workspace_id: str
    url: str
    secret: str
    events: list[str] | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class WebhookFilter(Record):
    """What deciding which events a webhook gets needs, and nothing more (it is read on every write)."""

    id: str
    workspace_id: str
    events: list[str] | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord(Record):
    seq: int
    id: str
    workspace_id: str
    webhook_id: str
    event_id: str
    event_name: str
    conversation_id: str | None
    status: str
    attempts: int
    next_attempt_us: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: int | None
    delivered_at: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ClaimedDelivery(Record):
    """A leased delivery with everything its POST needs: the stored event bytes and the webhook's address."""

    seq: int
    id: str
    claim_token: str
    event_id: str
    event_name: str
    attempts: int
    window_start_us: int
    payload: str
    url: str
    secret: str


# Webhooks
def get_webhook(conn: Connection, workspace_id: str) -> WebhookRecord | None:
    return fetch_one(conn, select(Webhook).where(Webhook.workspace_id == workspace_id), WebhookRecord)


def put_webhook(conn: Connection, webhook: WebhookRecord) -> None:
    """Create the workspace's webhook, or replace its url, secret and events (one per workspace, id kept)."""
    values = webhook.as_row()
    changes = {key: values[key] for key in ("url", "secret", "events", "updated_at")}
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(Webhook).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[Webhook.workspace_id], set_=changes))


def plain_secrets(conn: Connection, sealed_prefix: str) -> list[tuple[str, str]]:
    """(webhook id, secret) of the secrets not yet sealed."""
    stmt = select(Webhook.id, Webhook.secret).where(Webhook.secret.not_like(f"{sealed_prefix}%"))
    return [(row.id, row.secret) for row in conn.execute(stmt)]


def replace_secret(conn: Connection, webhook_id: str, old: str, new: str) -> bool:
    stmt = update(Webhook).where(Webhook.id == webhook_id, Webhook.secret == old).values(secret=new)
    return bool((conn.execute(stmt)).rowcount)


_WEBHOOK_FILTERS = select(Webhook.id, Webhook.workspace_id, Webhook.events).where(
    Webhook.workspace_id.in_(bindparam("workspace_ids", expanding=True))
)


def webhook_filters(conn: Connection, workspace_ids: Iterable[str]) -> list[WebhookFilter]:
    result: Result[Any] = conn.execute(_WEBHOOK_FILTERS, {"workspace_ids": sorted(set(workspace_ids))})
    return [WebhookFilter.from_row(row) for row in result]


# Deliveries (created with their events: `parley.storage.outbox`)
_DELIVERY_COLUMNS = [WebhookDelivery.__table__.c[name] for name in DeliveryRecord.__dataclass_fields__]


def get_delivery(conn: Connection, workspace_id: str, delivery_id: str) -> DeliveryRecord | None:
    stmt = select(*_DELIVERY_COLUMNS).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.workspace_id == workspace_id
    )
    return fetch_one(conn, stmt, DeliveryRecord)


def list_deliveries(
    conn: Connection, workspace_id: str, before_seq: int | None, limit: int, status: str | None
) -> list[DeliveryRecord]:
    """Newest first; `before_seq` continues after the last row of the previous page."""
    stmt = select(*_DELIVERY_COLUMNS).where(WebhookDelivery.workspace_id == workspace_id)
    if before_seq is not None:
        stmt = stmt.where(WebhookDelivery.seq < before_seq)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return fetch_all(conn, stmt.order_by(WebhookDelivery.seq.desc()).limit(limit), DeliveryRecord)


def redeliver(conn: Connection, delivery_id: str, now_us: int, now: int) -> None:
    """Due again now, with a fresh retry window. A lease in force is left alone: the POST in flight is the
    redelivery, and no other worker may post the row meanwhile."""
    conn.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status=PENDING, next_attempt_us=now_us, window_start_us=now_us, updated_at=now)
    )


class Finished(NamedTuple):
    recorded: bool
    stream_goes_on: bool


_earlier = aliased(WebhookDelivery, name="earlier")
_EARLIER_PENDING = (
    select(literal(1))
    .where(
        _earlier.webhook_id == WebhookDelivery.webhook_id,
        _earlier.stream == WebhookDelivery.stream,
        _earlier.status == PENDING,
        _earlier.seq < WebhookDelivery.seq,
    )
    .correlate(WebhookDelivery)
)
_DUE = (
    select(WebhookDelivery.seq)
    .where(
        WebhookDelivery.status == PENDING,
        WebhookDelivery.next_attempt_us <= bindparam("now_us"),
        or_(WebhookDelivery.locked_until_us.is_(None), WebhookDelivery.locked_until_us <= bindparam("now_us")),
        ~exists(_EARLIER_PENDING),
    )
    .order_by(WebhookDelivery.next_attempt_us, WebhookDelivery.seq)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=WebhookDelivery)
)
_CLAIMED = (
    select(
        WebhookDelivery.seq,
        WebhookDelivery.id,
        WebhookDelivery.claim_token,
        WebhookDelivery.event_id,
        WebhookDelivery.event_name,
        WebhookDelivery.attempts,
        WebhookDelivery.window_start_us,
        Event.payload,
        Webhook.url,
        Webhook.secret,
    )
    .join(Event, Event.id == WebhookDelivery.event_id)
    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
    .where(WebhookDelivery.seq.in_(bindparam("seqs", expanding=True)))
    .order_by(WebhookDelivery.seq)
)
_LEASED = (
    update(WebhookDelivery)
    .where(WebhookDelivery.seq.in_(bindparam("seqs", expanding=True)))
    .values(claim_token=bindparam("token"), locked_until_us=bindparam("lease_until_us"))
)


def claim_due(conn: Connection, now_us: int, lease_until_us: int, token: str, limit: int) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries, each the oldest pending one of its stream (so a conversation's events
    go out one at a time, in order). Run inside a write transaction; the lease holds once it commits."""
    seqs = list((conn.execute(_DUE, {"now_us": now_us, "limit": limit})).scalars())
    if not seqs:
        return []
    conn.execute(_LEASED, {"seqs": seqs, "token": token, "lease_until_us": lease_until_us})
    result: Result[Any] = conn.execute(_CLAIMED, {"seqs": seqs})
    return [ClaimedDelivery.from_row(row) for row in result]


def finish(conn: Connection, delivery_id: str, token: str, **values: Any) -> Finished:
    """Record an attempt's outcome and release the lease (unless the lease was no longer ours), and tell whether
    that let a later pending delivery of its stream go (it waited for this one to end)."""
    parameters = {"delivery_id": delivery_id, "token": token} | {f"new_{key}": value for key, value in values.items()}
    row = conn.execute(_finishing(tuple(sorted(values))), parameters).one_or_none()
    if row is None:
        return Finished(recorded=False, stream_goes_on=False)
    if row.status == PENDING:  # to be tried again: the stream still waits for it
        return Finished(recorded=True, stream_goes_on=False)
    later = {"webhook_id": row.webhook_id, "stream": row.stream, "seq": row.seq}
    return Finished(recorded=True, stream_goes_on=conn.execute(_LATER_PENDING, later).scalar() is True)


@lru_cache(maxsize=8)
def _finishing(columns: tuple[str, ...]) -> Update:
    """The update recording an outcome that sets `columns` (from `:new_<column>`): one statement for each of the
    few outcomes (delivered, to retry, failed), built once. Built per call, with the lease's, they left some 10
    objects in cycles a delivery for the collector (a small `bench/load.py`, 850 deliveries: 69,947 objects freed
    in cycles, then 63,085 and 59,214)."""
    return (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == bindparam("delivery_id"), WebhookDelivery.claim_token == bindparam("token"))
        .values(
            attempts=WebhookDelivery.attempts + 1,
            claim_token=None,
            locked_until_us=None,
            **{column: bindparam(f"new_{column}") for column in columns},
        )
        .returning(WebhookDelivery.webhook_id, WebhookDelivery.stream, WebhookDelivery.seq, WebhookDelivery.status)
    )


_LATER_PENDING = select(
    exists().where(
        WebhookDelivery.webhook_id == bindparam("webhook_id"),
        WebhookDelivery.stream == bindparam("stream"),
        WebhookDelivery.status == PENDING,
        WebhookDelivery.seq > bindparam("seq"),
    )
)


def pending_backlog(conn: Connection) -> tuple[int | None, int]:
    """When the oldest pending delivery's window started (microseconds; None when none) and how many are pending."""
    stmt = select(func.min(WebhookDelivery.window_start_us), func.count()).where(WebhookDelivery.status == PENDING)
    oldest_us, pending = (conn.execute(stmt)).one()
    return (None if oldest_us is None else int(oldest_us)), int(pending)
