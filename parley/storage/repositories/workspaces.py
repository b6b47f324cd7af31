"""Workspaces, their API and agent tokens, and their bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from parley.storage.models import ApiToken, Bot, Workspace
from parley.storage.records import BotRecord, TokenRecord, WorkspaceRecord
from parley.storage.repositories._query import fetch_all, fetch_by_ids, fetch_one, one


def add_workspace(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Workspace).values(**values))


_WORKSPACE_BY_ID = select(Workspace).where(Workspace.id == bindparam("workspace_id"))
_LIVE_TOKEN = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))


def get_workspace(conn: Connection, workspace_id: str) -> WorkspaceRecord | None:
    return one(conn, _WORKSPACE_BY_ID, WorkspaceRecord, workspace_id=workspace_id)


def get_workspace_by_name(conn: Connection, name: str) -> WorkspaceRecord | None:
    stmt = select(Workspace).where(Workspace.name == name).order_by(Workspace.created_at).limit(1)
    return fetch_one(conn, stmt, WorkspaceRecord)


def get_workspace_by_site_key(conn: Connection, site_key: str) -> WorkspaceRecord | None:
    return fetch_one(conn, select(Workspace).where(Workspace.site_key == site_key), WorkspaceRecord)


def list_workspaces(conn: Connection) -> list[WorkspaceRecord]:
    return fetch_all(conn, select(Workspace).order_by(Workspace.created_at, Workspace.id), WorkspaceRecord)


def demo_workspace_ids(conn: Connection) -> list[str]:
    """The workspaces `parley demo` made (production refuses to start while one exists)."""
    return list((conn.scalars(select(Workspace.id).where(Workspace.is_demo.is_(True)))).all())


def add_token(conn: Connection, **values: Any) -> None:
    conn.execute(insert(ApiToken).values(**values))


def find_live_token(conn: Connection, token_hash: str) -> TokenRecord | None:
    return one(conn, _LIVE_TOKEN, TokenRecord, token_hash=token_hash)


def get_token(conn: Connection, token_id: str) -> TokenRecord | None:
    return fetch_one(conn, select(ApiToken).where(ApiToken.id == token_id), TokenRecord)


def list_tokens(conn: Connection, workspace_id: str) -> list[TokenRecord]:
    stmt = select(ApiToken).where(ApiToken.workspace_id == workspace_id).order_by(ApiToken.created_at, ApiToken.id)
    return fetch_all(conn, stmt, TokenRecord)


def live_tokens_of_agent(conn: Connection, agent_id: str, now: int) -> list[TokenRecord]:
    """Neither revoked nor (a session) ended."""
    stmt = (
        select(ApiToken)
        .where(
            ApiToken.agent_id == agent_id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    return fetch_all(conn, stmt, TokenRecord)


def revoke_token(conn: Connection, token_id: str, now: int, agent_id: str | None = None) -> bool:
    """Revoke a live token; with `agent_id`, only if it is that agent's."""
    stmt = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if agent_id is not None:
        stmt = stmt.where(ApiToken.agent_id == agent_id)
    return (conn.execute(stmt.values(revoked_at=now))).rowcount == 1


def revoke_tokens_of_agent(conn: Connection, agent_id: str, now: int) -> list[str]:
    """Every live token of the agent (sessions and console tokens), revoked; their ids."""
    live = ApiToken.agent_id == agent_id, ApiToken.revoked_at.is_(None)
    ids = list(conn.execute(select(ApiToken.id).where(*live)).scalars())
    if ids:
        conn.execute(update(ApiToken).where(ApiToken.id.in_(ids)).values(revoked_at=now))
    return ids


def live_api_tokens(conn: Connection, workspace_id: str) -> list[TokenRecord]:
    """The workspace's own API tokens (not agents'), oldest first."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.workspace_id == workspace_id, ApiToken.agent_id.is_(None), ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    return fetch_all(conn, stmt, TokenRecord)


def revoke_api_token(conn: Connection, workspace_id: str, token_id: str, now: int) -> bool:
    """Revoke one of the workspace's live API tokens (never an agent's, never another workspace's)."""
    stmt = update(ApiToken).where(
        ApiToken.id == token_id,
        ApiToken.workspace_id == workspace_id,
        ApiToken.agent_id.is_(None),
        ApiToken.revoked_at.is_(None),
    )
    return (conn.execute(stmt.values(revoked_at=now))).rowcount == 1


_RECORD_USE = (
    update(ApiToken)
    .where(
        ApiToken.id == bindparam("token_id"),
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < bindparam("used_at")),
    )
    .values(last_used_at=bindparam("used_at"))
)


def record_token_uses(conn: Connection, uses: Mapping[str, int]) -> None:
    """One statement for every token's last use (never moved back by a slower process's older figure)."""
    conn.execute(_RECORD_USE, [{"token_id": token_id, "used_at": at} for token_id, at in uses.items()])


def add_bot(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Bot).values(**values))


def get_bot(conn: Connection, workspace_id: str) -> BotRecord | None:
    return fetch_one(conn, select(Bot).where(Bot.workspace_id == workspace_id), BotRecord)


def bots_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, BotRecord]:
    return fetch_by_ids(conn, Bot, ids, BotRecord)


# Widget settings and the bot's name (issue 5)
def get_workspace_for_update(conn: Connection, workspace_id: str) -> WorkspaceRecord | None:
    """The row locked until the transaction ends (PostgreSQL), so concurrent partial updates of the settings JSON
    do not lose each other's keys; SQLite's single writer serialises them anyway."""
    stmt = select(Workspace).where(Workspace.id == workspace_id).with_for_update()
    return fetch_one(conn, stmt, WorkspaceRecord)


def update_workspace(conn: Connection, workspace_id: str, **values: Any) -> None:
    conn.execute(update(Workspace).where(Workspace.id == workspace_id).values(**values))


def update_bot(conn: Connection, workspace_id: str, **values: Any) -> None:
    conn.execute(update(Bot).where(Bot.workspace_id == workspace_id).values(**values))
