"""Conversations' activity logs: who assigned, locked, changed the status or the labels, in order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from parley.storage.models import ConversationActivity
from parley.storage.records import ActivityRecord
from parley.storage.repositories._query import fetch_all


def add_activity(conn: Connection, **values: Any) -> None:
    conn.execute(insert(ConversationActivity).values(**values))


def activity_page(
    conn: Connection, conversation_id: str, limit: int, *, after: int = 0, before: int | None = None
) -> list[ActivityRecord]:
    """The `limit` entries just after `after` or, with `before`, just before it; ascending either way, as a page of
    messages is, and like it one range scan of the (conversation, microseconds) index."""
    stmt = select(ConversationActivity).where(ConversationActivity.conversation_id == conversation_id)
    if before is None:
        stmt = stmt.where(ConversationActivity.microseconds > after).order_by(ConversationActivity.microseconds)
    else:
        stmt = stmt.where(ConversationActivity.microseconds < before).order_by(ConversationActivity.microseconds.desc())
    page = fetch_all(conn, stmt.limit(limit), ActivityRecord)
    return page if before is None else page[::-1]
