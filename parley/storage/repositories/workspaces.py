"""Workspaces, their API and agent tokens, and their bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.storage.models import ApiToken, Bot, Workspace
from parley.storage.plans import Plan
from parley.storage.records import BotRecord, TokenRecord, WorkspaceRecord
from parley.storage.repositories._query import fetch_all, fetch_by_ids, fetch_one, one


async def add_workspace(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(Workspace).values(**values))


_WORKSPACE_BY_ID = select(Workspace).where(Workspace.id == bindparam("workspace_id"))
_LIVE_TOKEN = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))


def get_workspace(workspace_id: str) -> Plan[WorkspaceRecord | None]:
    return one(_WORKSPACE_BY_ID, WorkspaceRecord, workspace_id=workspace_id)


async def get_workspace_by_name(conn: AsyncConnection, name: str) -> WorkspaceRecord | None:
    stmt = select(Workspace).where(Workspace.name == name).order_by(Workspace.created_at).limit(1)
    return await fetch_one(conn, stmt, WorkspaceRecord)


async def get_workspace_by_site_key(conn: AsyncConnection, site_key: str) -> WorkspaceRecord | None:
    return await fetch_one(conn, select(Workspace).where(Workspace.site_key == site_key), WorkspaceRecord)


async def list_workspaces(conn: AsyncConnection) -> list[WorkspaceRecord]:
    return await fetch_all(conn, select(Workspace).order_by(Workspace.created_at, Workspace.id), WorkspaceRecord)


async def demo_workspace_ids(conn: AsyncConnection) -> list[str]:
    """The workspaces `parley demo` made (production refuses to start while one exists)."""
    return list((await conn.scalars(select(Workspace.id).where(Workspace.is_demo.is_(True)))).all())


async def add_token(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(ApiToken).values(**values))


def find_live_token(token_hash: str) -> Plan[TokenRecord | None]:
    return one(_LIVE_TOKEN, TokenRecord, token_hash=token_hash)


async def list_tokens(conn: AsyncConnection, workspace_id: str) -> list[TokenRecord]:
    stmt = select(ApiToken).where(ApiToken.workspace_id == workspace_id).order_by(ApiToken.created_at, ApiToken.id)
    return await fetch_all(conn, stmt, TokenRecord)


async def live_tokens_of_agent(conn: AsyncConnection, agent_id: str) -> list[TokenRecord]:
    stmt = (
        select(ApiToken)
        .where(ApiToken.agent_id == agent_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    return await fetch_all(conn, stmt, TokenRecord)


async def revoke_token(conn: AsyncConnection, token_id: str, now: int, agent_id: str | None = None) -> bool:
    """Revoke a live token; with `agent_id`, only if it is that agent's."""
    stmt = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if agent_id is not None:
        stmt = stmt.where(ApiToken.agent_id == agent_id)
    return (await conn.execute(stmt.values(revoked_at=now))).rowcount == 1


async def revoke_tokens_of_agent(conn: AsyncConnection, agent_id: str, now: int) -> None:
    stmt = update(ApiToken).where(ApiToken.agent_id == agent_id, ApiToken.revoked_at.is_(None))
    await conn.execute(stmt.values(revoked_at=now))


_RECORD_USE = (
    update(ApiToken)
    .where(
        ApiToken.id == bindparam("token_id"),
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < bindparam("used_at")),
    )
    .values(last_used_at=bindparam("used_at"))
)


async def record_token_uses(conn: AsyncConnection, uses: Mapping[str, int]) -> None:
    """One statement for every token's last use (never moved back by a slower process's older figure)."""
    await conn.execute(_RECORD_USE, [{"token_id": token_id, "used_at": at} for token_id, at in uses.items()])


async def add_bot(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(Bot).values(**values))


async def get_bot(conn: AsyncConnection, workspace_id: str) -> BotRecord | None:
    return await fetch_one(conn, select(Bot).where(Bot.workspace_id == workspace_id), BotRecord)


async def bots_by_id(conn: AsyncConnection, ids: Iterable[str | None]) -> dict[str, BotRecord]:
    return await fetch_by_ids(conn, Bot, ids, BotRecord)


# Widget settings and the bot's name (issue 5)
async def get_workspace_for_update(conn: AsyncConnection, workspace_id: str) -> WorkspaceRecord | None:
    """The row locked until the transaction ends (PostgreSQL), so concurrent partial updates of the settings JSON
    do not lose each other's keys; SQLite's single writer serialises them anyway."""
    stmt = select(Workspace).where(Workspace.id == workspace_id).with_for_update()
    return await fetch_one(conn, stmt, WorkspaceRecord)


async def update_workspace(conn: AsyncConnection, workspace_id: str, **values: Any) -> None:
    await conn.execute(update(Workspace).where(Workspace.id == workspace_id).values(**values))


async def update_bot(conn: AsyncConnection, workspace_id: str, **values: Any) -> None:
    await conn.execute(update(Bot).where(Bot.workspace_id == workspace_id).values(**values))
