"""The audit log: one row per recorded change, read newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from parley.storage.models import Agent, ApiToken, AuditEntry
from parley.storage.records import AuditRecord
from parley.storage.repositories._query import fetch_all, fetch_one, keyset_after


def add_entry(conn: Connection, **values: Any) -> None:
    conn.execute(insert(AuditEntry).values(**values))


def get_entry(conn: Connection, workspace_id: str, entry_id: str) -> AuditRecord | None:
    stmt = select(AuditEntry).where(AuditEntry.id == entry_id, AuditEntry.workspace_id == workspace_id)
    return fetch_one(conn, stmt, AuditRecord)


def list_entries(
    conn: Connection,
    workspace_id: str,
    after: tuple[int, str] | None,
    limit: int,
    actor_id: str | None = None,
    action: str | None = None,
) -> list[AuditRecord]:
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    stmt = keyset_after(stmt, [AuditEntry.created_us, AuditEntry.id], after, descending=True).limit(limit)
    return fetch_all(conn, stmt, AuditRecord)


def agent_name(conn: Connection, agent_id: str) -> str | None:
    return conn.execute(select(Agent.name).where(Agent.id == agent_id)).scalar()


def token_name(conn: Connection, token_id: str) -> str | None:
    return conn.execute(select(ApiToken.name).where(ApiToken.id == token_id)).scalar()
