"""A workspace's canned responses. Shortcuts are unique per workspace by a constraint, which decides between
concurrent writers too: a duplicate raises `IntegrityError`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from parley.storage.models import CannedResponse
from parley.storage.records import CannedResponseRecord
from parley.storage.repositories._query import fetch_all, fetch_one


def add_canned_response(conn: Connection, **values: Any) -> None:
    conn.execute(insert(CannedResponse).values(**values))


def get_canned_response(conn: Connection, workspace_id: str, response_id: str) -> CannedResponseRecord | None:
    stmt = select(CannedResponse).where(CannedResponse.id == response_id, CannedResponse.workspace_id == workspace_id)
    return fetch_one(conn, stmt, CannedResponseRecord)


def list_canned_responses(
    conn: Connection, workspace_id: str, after_shortcut: str | None, limit: int
) -> list[CannedResponseRecord]:
    """By shortcut, a range scan of the (workspace, shortcut) unique index."""
    stmt = select(CannedResponse).where(CannedResponse.workspace_id == workspace_id)
    if after_shortcut is not None:
        stmt = stmt.where(CannedResponse.shortcut > after_shortcut)
    return fetch_all(conn, stmt.order_by(CannedResponse.shortcut).limit(limit), CannedResponseRecord)


def update_canned_response(conn: Connection, response_id: str, **values: Any) -> None:
    conn.execute(update(CannedResponse).where(CannedResponse.id == response_id).values(**values))


def delete_canned_response(conn: Connection, response_id: str) -> None:
    conn.execute(delete(CannedResponse).where(CannedResponse.id == response_id))
