"""The outbox: the events a transaction emits, written with the change they report, each placed in its workspace's
stream, with the webhook deliveries they call for.

Deliveries are created in the same transaction as their events. Why here and not in a worker that follows the
outbox by position: on PostgreSQL positions become visible out of order (a transaction holding position 10 may
commit after the one holding 11), so a follower that saved "done up to 11" would skip 10 forever, unless it
guessed how long a gap may stay open. Written here, "the change, its event and its deliveries" is one atomic fact
on both engines: a crash before COMMIT loses all three, after COMMIT none. The price is one indexed read of the
workspaces' webhooks per write transaction (a batch of messages shares it; on PostgreSQL it rides on the stream
bump's statement), and one insert when a webhook wants some of the events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, insert

from parley.clock import now_microseconds
from parley.schemas import WEBHOOK_EVENTS, EventFrame
from parley.schemas.events import routing_of
from parley.storage.bulk import insert_rows
from parley.storage.models import Event, WebhookDelivery
from parley.storage.records import NewEvent
from parley.storage.repositories import events as event_repo
from parley.storage.repositories.webhooks import PENDING, WebhookFilter

_INSERT_EVENTS = insert(Event)
_INSERT_DELIVERIES = insert(WebhookDelivery)


def new_event(
    event_id: str, name: str, workspace_id: str, conversation_id: str | None, data: BaseModel, microseconds: int
) -> NewEvent:
    """The event as its row and its frame (the one JSON shape of websocket frames and webhook bodies). `data` must be
    rendered for the public audience (no websocket tokens): the outbox feeds everyone."""
    created_at = microseconds // 1_000_000
    frame = EventFrame(
        event=name,
        id=event_id,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        microseconds=microseconds,
        created_at=created_at,
        data=data,
    )
    routing = routing_of(data)
    return NewEvent(
        id=event_id,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        name=name,
        payload=frame.model_dump_json(),
        microseconds=microseconds,
        created_at=created_at,
        end_user_id=routing.end_user_id,
        agent_id=routing.agent_id,
        agents_only=routing.agents_only,
    )


def record_events(conn: Connection, events: Sequence[NewEvent]) -> tuple[list[NewEvent], int]:
    """The outbox rows of a transaction's events, placed in their workspaces' streams, and their webhook
    deliveries; returns the events as placed (what is published after the commit) and how many deliveries."""
    placed, hooks = event_repo.place_in_streams(conn, events)
    insert_rows(conn, _INSERT_EVENTS, [_event_row(e) for e in placed])
    return placed, _add_deliveries(conn, placed, hooks, now_microseconds())


def _add_deliveries(conn: Connection, events: Sequence[NewEvent], hooks: Sequence[WebhookFilter], now_us: int) -> int:
    """One pending delivery per (event, webhook) the webhook's filter accepts, of the events' workspaces' `hooks`,
    in event order (`seq` then orders each stream as its events were written); returns how many."""
    deliverable = [event for event in events if event.name in WEBHOOK_EVENTS]
    if not deliverable or not hooks:
        return 0
    now = now_us // 1_000_000
    rows: list[dict[str, Any]] = []
    for event in deliverable:
        for hook in hooks:
            if hook.workspace_id == event.workspace_id and (hook.events is None or event.name in hook.events):
                rows.append(_delivery_row(event, hook.id, now_us, now))
    if rows:
        insert_rows(conn, _INSERT_DELIVERIES, rows)
    return len(rows)


def _event_row(new_event: NewEvent) -> dict[str, Any]:
    return {
        "id": new_event.id,
        "workspace_id": new_event.workspace_id,
        "conversation_id": new_event.conversation_id,
        "name": new_event.name,
        "payload": new_event.payload,
        "microseconds": new_event.microseconds,
        "stream_position": new_event.stream_position,
        "created_at": new_event.created_at,
        "end_user_id": new_event.end_user_id,
        "agent_id": new_event.agent_id,
        "agents_only": new_event.agents_only,
    }


def _delivery_row(event: NewEvent, webhook_id: str, now_us: int, now: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "workspace_id": event.workspace_id,
        "webhook_id": webhook_id,
        "event_id": event.id,
        "event_name": event.name,
        "conversation_id": event.conversation_id,
        "stream": event.conversation_id or "",
        "status": PENDING,
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
