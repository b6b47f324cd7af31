"""The workspace's webhook: configuring it (its URL passes the outbound fetch checks) and its deliveries."""

from __future__ import annotations

import secrets
from dataclasses import replace
from functools import partial

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds
from parley.errors import ParleyError, not_found
from parley.files.urlguard import resolve_fetch_target
from parley.services import audit
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.paging import continue_after
from parley.storage.database import Transaction
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import webhooks as repo
from parley.storage.repositories.webhooks import DeliveryRecord, WebhookRecord

SECRET_PREFIX = "whsec_"


def _no_webhook() -> ParleyError:
    return ParleyError(404, "not_found", "No webhook is configured for this workspace; PUT /webhook sets one.")


async def get_webhook(svc: Services, workspace: WorkspaceRecord) -> schemas.WebhookConfig:
    webhook = await svc.db.read(repo.get_webhook, workspace.id)
    if webhook is None:
        raise _no_webhook()
    return _config(webhook, shown_secret=None)


async def put_webhook(
    svc: Services, workspace: WorkspaceRecord, request: schemas.PutWebhookRequest, actor: audit.Actor
) -> schemas.WebhookConfig:
    """Refuse a URL that file fetching would refuse (422 `unsupported_url`, `fetch_forbidden`, `fetch_failed`).

    Without `secret`, the current one is kept; a new webhook gets a generated one, shown in this answer only.
    """
    target = await resolve_fetch_target(request.url, svc.settings)
    events: list[str] | None = None if request.events is None else list(dict.fromkeys(request.events))
    now = now_microseconds() // 1_000_000

    def put(tx: Transaction) -> schemas.WebhookConfig:
        current = repo.get_webhook(tx.conn, workspace.id)
        generated = None
        if request.secret is not None:
            secret = svc.secret_seal.seal(request.secret)
        elif current is not None:
            secret = current.secret
        else:
            generated = _new_secret()
            secret = svc.secret_seal.seal(generated)
        webhook = WebhookRecord(
            id=current.id if current else new_id(),
            workspace_id=workspace.id,
            url=target.url,
            secret=secret,
            events=events,
            created_at=current.created_at if current else now,
            updated_at=now,
        )
        repo.put_webhook(tx.conn, webhook)
        changed = ["url", "events", *(["secret"] if request.secret is not None or current is None else [])]
        audit.record(tx, actor, workspace.id, "webhook.updated", ("webhook", webhook.id), {"fields": changed})
        stored = repo.get_webhook(tx.conn, workspace.id)
        assert stored is not None
        return _config(stored, shown_secret=generated if stored.secret == secret else None)  # not if another PUT won

    return await svc.db.write(put)


async def rotate_secret(svc: Services, workspace: WorkspaceRecord, actor: audit.Actor) -> schemas.WebhookConfig:
    """A new generated secret, shown in this answer only; deliveries are signed with it from now on (404 without
    a webhook)."""
    generated = _new_secret()
    now = now_microseconds() // 1_000_000

    def rotate(tx: Transaction) -> schemas.WebhookConfig:
        current = repo.get_webhook(tx.conn, workspace.id)
        if current is None:
            raise _no_webhook()
        repo.put_webhook(tx.conn, replace(current, secret=svc.secret_seal.seal(generated), updated_at=now))
        audit.record(tx, actor, workspace.id, "webhook.updated", ("webhook", current.id), {"fields": ["secret"]})
        stored = repo.get_webhook(tx.conn, workspace.id)
        assert stored is not None
        return _config(stored, shown_secret=generated)

    return await svc.db.write(rotate)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def list_deliveries(
    svc: Services, workspace: WorkspaceRecord, after: str | None, limit: int, status: str | None
) -> list[schemas.WebhookDelivery]:
    def load(conn: Connection) -> list[DeliveryRecord]:
        before_seq = continue_after(after, partial(_find_delivery, conn, workspace), lambda d: d.seq)
        return repo.list_deliveries(conn, workspace.id, before_seq, limit, status)

    deliveries = await svc.db.read(load)
    return [_delivery(d) for d in deliveries]


async def redeliver(svc: Services, workspace: WorkspaceRecord, delivery_id: str) -> schemas.WebhookDelivery:
    """Pending again and due now, whatever its status; the receiver drops a repeat by the event id."""
    now_us = now_microseconds()

    def make_due(tx: Transaction) -> DeliveryRecord | None:
        delivery = _find_delivery(tx.conn, workspace, delivery_id)
        repo.redeliver(tx.conn, delivery.id, now_us, now_us // 1_000_000)
        return repo.get_delivery(tx.conn, workspace.id, delivery.id)

    updated = await svc.db.write(make_due)
    svc.webhooks.wake()
    assert updated is not None
    return _delivery(updated)


def _find_delivery(conn: Connection, workspace: WorkspaceRecord, delivery_id: str) -> DeliveryRecord:
    delivery = repo.get_delivery(conn, workspace.id, check_id(delivery_id, "Webhook delivery"))
    if delivery is None:
        raise not_found("Webhook delivery")
    return delivery


def _config(webhook: WebhookRecord, shown_secret: str | None) -> schemas.WebhookConfig:
    return schemas.WebhookConfig(
        id=webhook.id,
        url=webhook.url,
        events=webhook.events,
        secret=shown_secret,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def _delivery(d: DeliveryRecord) -> schemas.WebhookDelivery:
    return schemas.WebhookDelivery(
        id=d.id,
        event_id=d.event_id,
        event=d.event_name,
        conversation_id=d.conversation_id,
        status=d.status,
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        last_attempt_at=d.last_attempt_at,
        next_attempt_at=-(-d.next_attempt_us // 1_000_000) if d.status == repo.PENDING else None,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )
