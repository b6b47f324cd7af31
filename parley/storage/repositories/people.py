"""Agents and end users: the two kinds of people in a conversation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from parley.storage.models import Agent, EndUser
from parley.storage.records import AgentRecord, EndUserRecord
from parley.storage.repositories._query import fetch_all, fetch_by_ids, fetch_one, keyset_after, one

OWNER = "owner"


def add_agent(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Agent).values(**values))


def get_agent(conn: Connection, workspace_id: str, agent_id: str, lock: bool = False) -> AgentRecord | None:
    """With `lock`, the row is locked until the transaction ends (PostgreSQL): a token issued meanwhile and the
    agent's deactivation then happen one after the other, never across each other."""
    stmt = select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id)
    return fetch_one(conn, stmt.with_for_update() if lock else stmt, AgentRecord)


def agent_with_service_user_id(conn: Connection, workspace_id: str, service_user_id: str) -> AgentRecord | None:
    stmt = select(Agent).where(Agent.workspace_id == workspace_id, Agent.service_user_id == service_user_id)
    return fetch_one(conn, stmt, AgentRecord)


def agent_with_email(conn: Connection, workspace_id: str, email: str) -> AgentRecord | None:
    stmt = select(Agent).where(Agent.workspace_id == workspace_id, Agent.email == email)
    return fetch_one(conn, stmt, AgentRecord)


def active_owner_ids(conn: Connection, workspace_id: str) -> list[str]:
    """Locked until the transaction ends (PostgreSQL), in the order of their ids: two owners demoted at once cannot
    both see the other stay, and take the locks in one order (no deadlock)."""
    stmt = (
        select(Agent.id)
        .where(Agent.workspace_id == workspace_id, Agent.role == OWNER, Agent.active.is_(True))
        .order_by(Agent.id)
        .with_for_update()
    )
    return list(conn.execute(stmt).scalars())


def agents_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, AgentRecord]:
    return fetch_by_ids(conn, Agent, ids, AgentRecord)


def list_agents(conn: Connection, workspace_id: str, after: tuple[int, str] | None, limit: int) -> list[AgentRecord]:
    stmt = select(Agent).where(Agent.workspace_id == workspace_id)
    stmt = keyset_after(stmt, [Agent.created_us, Agent.id], after, descending=False).limit(limit)
    return fetch_all(conn, stmt, AgentRecord)


def update_agent(conn: Connection, agent_id: str, **values: Any) -> None:
    conn.execute(update(Agent).where(Agent.id == agent_id).values(**values))


def add_end_user(conn: Connection, **values: Any) -> None:
    conn.execute(insert(EndUser).values(**values))


def update_end_user(conn: Connection, end_user_id: str, **values: Any) -> None:
    conn.execute(update(EndUser).where(EndUser.id == end_user_id).values(**values))


def get_end_user(conn: Connection, workspace_id: str, end_user_id: str) -> EndUserRecord | None:
    stmt = select(EndUser).where(EndUser.id == end_user_id, EndUser.workspace_id == workspace_id)
    return fetch_one(conn, stmt, EndUserRecord)


def lock_end_user(conn: Connection, end_user_id: str) -> None:
    """Hold the end user's row until the transaction ends (PostgreSQL; SQLite has one writer at a time anyway): the
    visitor's concurrent first messages then open their conversation one after the other, so only the first opens
    it and the next ones find it."""
    conn.execute(select(EndUser.id).where(EndUser.id == end_user_id).with_for_update())


_END_USER_BY_ID = select(EndUser).where(EndUser.id == bindparam("end_user_id"))


def get_end_user_anywhere(conn: Connection, end_user_id: str) -> EndUserRecord | None:
    """For a visitor's token, which names the end user but not the workspace."""
    return one(conn, _END_USER_BY_ID, EndUserRecord, end_user_id=end_user_id)


def end_user_with_service_user_id(conn: Connection, workspace_id: str, service_user_id: str) -> EndUserRecord | None:
    stmt = select(EndUser).where(EndUser.workspace_id == workspace_id, EndUser.service_user_id == service_user_id)
    return fetch_one(conn, stmt, EndUserRecord)


def end_user_names_taken(conn: Connection, workspace_id: str, names: list[str]) -> set[str]:
    """Which of `names` some end user of the workspace has: one lookup per name on the (workspace, name) index."""
    return {str(row[0]) for row in conn.execute(_NAMES_TAKEN, {"workspace_id": workspace_id, "names": names})}


_NAMES_TAKEN = select(EndUser.name).where(  # built once: it runs for every new visitor
    EndUser.workspace_id == bindparam("workspace_id"), EndUser.name.in_(bindparam("names", expanding=True))
)


def end_users_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, EndUserRecord]:
    return fetch_by_ids(conn, EndUser, ids, EndUserRecord)


def any_agent_online(conn: Connection, workspace_id: str) -> bool:
    """Whether some active agent of the workspace is online (the bot's away message depends on it)."""
    stmt = (
        select(Agent.id)
        .where(Agent.workspace_id == workspace_id, Agent.status == "online", Agent.active.is_(True))
        .limit(1)
    )
    return (conn.execute(stmt)).first() is not None
