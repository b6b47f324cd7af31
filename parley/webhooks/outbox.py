"""Deliveries are created in the same transaction as the events they carry.

Why here and not in a worker that follows the outbox by position: on PostgreSQL `events.position` comes from a
sequence, so positions become visible out of order (a transaction holding position 10 may commit after the one
holding 11). A follower that saved "done up to 11" would skip 10 forever, unless it guessed how long a gap may
stay open. Writing the delivery rows inside `Database.write()`, right after the events, makes "the change, its
event and its deliveries" one atomic fact on both engines: a crash before COMMIT loses all three, after COMMIT
none. The price is one indexed read of the workspace's webhook per write transaction (a batch of messages shares
it), and one insert when a webhook wants some of the events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from parley.schemas import WEBHOOK_EVENTS
from parley.storage.plans import Plan
from parley.storage.records import NewEvent
from parley.storage.repositories import webhooks as repo


def add_deliveries(events: Sequence[NewEvent], hooks: Sequence[repo.WebhookFilter], now_us: int) -> Plan[int]:
    """One pending delivery per (event, webhook) the webhook's filter accepts, of the events' workspaces' `hooks`
    (read with the events' stream positions); returns how many."""
    deliverable = [event for event in events if event.name in WEBHOOK_EVENTS]
    if not deliverable or not hooks:
        return 0
    now = now_us // 1_000_000
    rows: list[dict[str, Any]] = []
    for event in deliverable:
        for hook in hooks:
            if hook.workspace_id == event.workspace_id and (hook.events is None or event.name in hook.events):
                rows.append(_row(event, hook.id, now_us, now))
    if rows:
        yield from repo.add_deliveries(rows)
    return len(rows)


def _row(event: NewEvent, webhook_id: str, now_us: int, now: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "workspace_id": event.workspace_id,
        "webhook_id": webhook_id,
        "event_id": event.id,
        "event_name": event.name,
        "conversation_id": event.conversation_id,
        "stream": event.conversation_id or "",
        "status": repo.PENDING,
        "attempts": 0,
        "window_start_us": now_us,
        "next_attempt_us": now_us,
        "locked_until_us": None,
        "claim_token": None,
        "last_status_code": None,
        "last_error": None,
        "last_attempt_at": None,
        "delivered_at": None,
        "created_at": now,
        "updated_at": now,
    }
