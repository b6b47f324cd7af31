"""Agents' passwords and their single-use links (invitations, password resets), kept apart from the agents' rows."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from parley.storage.models import Agent, AgentLink, AgentPassword
from parley.storage.records import AgentLinkRecord, AgentRecord
from parley.storage.repositories._query import fetch_one


def agent_by_email(conn: Connection, workspace_id: str, email: str) -> tuple[AgentRecord, str | None] | None:
    """The agent with this email and their password's hash (None when they have none yet)."""
    stmt = (
        select(Agent.__table__, AgentPassword.password_hash)
        .outerjoin(AgentPassword, AgentPassword.agent_id == Agent.id)
        .where(Agent.workspace_id == workspace_id, Agent.email == email)
    )
    row = conn.execute(stmt).first()
    return None if row is None else (AgentRecord.from_row(row), row.password_hash)


def set_password(conn: Connection, agent_id: str, password_hash: str, now: int) -> None:
    """Replace the agent's password (a delete and an insert: one statement shape on both databases)."""
    conn.execute(delete(AgentPassword).where(AgentPassword.agent_id == agent_id))
    conn.execute(insert(AgentPassword).values(agent_id=agent_id, password_hash=password_hash, updated_at=now))


def add_link(conn: Connection, token_hash: str, link: AgentLinkRecord) -> None:
    conn.execute(insert(AgentLink).values(token_hash=token_hash, **link.as_row()))


def usable_link(
    conn: Connection, token_hash: str, purpose: str, now: int, lock: bool = False
) -> AgentLinkRecord | None:
    """The unused, unexpired link of this purpose with this hash; with `lock`, locked until the transaction ends
    (PostgreSQL): two redemptions at once find it one after the other, and the second finds it used."""
    stmt = select(AgentLink).where(
        AgentLink.token_hash == token_hash,
        AgentLink.purpose == purpose,
        AgentLink.used_at.is_(None),
        AgentLink.expires_at > now,
    )
    return fetch_one(conn, stmt.with_for_update() if lock else stmt, AgentLinkRecord)


def use_links(conn: Connection, agent_id: str, purpose: str, now: int) -> list[str]:
    """Mark every unused link of this purpose of the agent used (the one redeemed, and any older one still out);
    their ids."""
    stmt = update(AgentLink).where(
        AgentLink.agent_id == agent_id, AgentLink.purpose == purpose, AgentLink.used_at.is_(None)
    )
    return list(conn.execute(stmt.values(used_at=now).returning(AgentLink.id)).scalars())


def cancel_links(conn: Connection, agent_id: str, now: int) -> list[str]:
    """Every unused link of the agent, of either purpose, made unusable; their ids."""
    stmt = update(AgentLink).where(AgentLink.agent_id == agent_id, AgentLink.used_at.is_(None))
    return list(conn.execute(stmt.values(used_at=now).returning(AgentLink.id)).scalars())
