"""The outbox as a history: what a reconnecting socket missed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.storage.models import Event
from parley.storage.records import NewEvent


async def events_after(
    conn: AsyncConnection, workspace_id: str, conversation_ids: Sequence[str] | None, after: int, limit: int
) -> list[NewEvent]:
    """Ascending by `microseconds`; limited to some conversations, or the whole workspace when None."""
    stmt = select(Event).where(Event.workspace_id == workspace_id, Event.microseconds > after)
    if conversation_ids is not None:
        stmt = stmt.where(Event.conversation_id.in_(conversation_ids))
    stmt = stmt.order_by(Event.microseconds, Event.position).limit(limit)
    return [
        NewEvent(
            id=row.id,
            workspace_id=row.workspace_id,
            conversation_id=row.conversation_id,
            name=row.name,
            payload=row.payload,
            microseconds=row.microseconds,
            created_at=row.created_at,
        )
        for row in await conn.execute(stmt)
    ]
