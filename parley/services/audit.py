"""The audit log: who changed a workspace's people, credentials and settings, written in the change's transaction.

A change that is recorded takes the `Actor` of the request that made it (the External API's token, a signed-in
agent, or the CLI) and calls `record` inside its own transaction: the entry exists exactly when the change does.
Entries name what changed (fields, a role's before and after), never a value that is a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds
from parley.errors import not_found
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.paging import continue_after
from parley.storage.database import Transaction
from parley.storage.records import AuditRecord, WorkspaceRecord
from parley.storage.repositories import audit as repo

MAX_ACTION_LENGTH = 64
# Every action an entry may record (workflow.md 2), for the console's filter.
ACTIONS = (
    "agent.created",
    "agent.updated",
    "agent.role_changed",
    "agent.deactivated",
    "agent.invited",
    "session.created",
    "session.failed",
    "token.created",
    "token.revoked",
    "webhook.updated",
    "widget_settings.updated",
    "business_hours.updated",
    "canned_response.created",
    "canned_response.updated",
    "canned_response.deleted",
    "end_user.exported",
    "end_user.erased",
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change: `type` is `api_token` (id: the token's), `agent` (id: the agent's) or `cli`."""

    type: schemas.AuditActorType
    id: str | None
    ip: str | None = None

    def at(self, ip: str | None) -> Actor:
        return replace(self, ip=ip)


CLI = Actor("cli", None)


def agent(agent_id: str, ip: str | None = None) -> Actor:
    return Actor("agent", agent_id, ip)


def api_token(token_id: str, ip: str | None = None) -> Actor:
    return Actor("api_token", token_id, ip)


def record(
    tx: Transaction,
    actor: Actor,
    workspace_id: str,
    action: str,
    target: tuple[str, str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """One entry, in `tx`: the actor's name is looked up as it is now, and kept as it was then."""
    assert action in ACTIONS, action
    repo.add_entry(
        tx.conn,
        id=new_id(),
        workspace_id=workspace_id,
        created_us=now_microseconds(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=_actor_name(tx.conn, actor),
        action=action,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        ip=actor.ip,
        details=dict(details or {}),
    )


def _actor_name(conn: Connection, actor: Actor) -> str | None:
    if actor.id is None:
        return None
    return repo.agent_name(conn, actor.id) if actor.type == "agent" else repo.token_name(conn, actor.id)


async def list_entries(
    svc: Services,
    workspace: WorkspaceRecord,
    after: str | None,
    limit: int,
    actor_id: str | None = None,
    action: str | None = None,
) -> list[schemas.AuditEntry]:
    """Newest first; `after` is the id of the last entry of the previous page (unknown: 404)."""

    def load(conn: Connection) -> list[AuditRecord]:
        cursor = continue_after(after, partial(_find_entry, conn, workspace.id), lambda e: (e.created_us, e.id))
        return repo.list_entries(conn, workspace.id, cursor, limit, actor_id, action)

    return [_render(entry) for entry in await svc.db.read(load)]


def _find_entry(conn: Connection, workspace_id: str, entry_id: str) -> AuditRecord:
    entry = repo.get_entry(conn, workspace_id, check_id(entry_id, "Audit entry"))
    if entry is None:
        raise not_found("Audit entry")
    return entry


def _render(entry: AuditRecord) -> schemas.AuditEntry:
    target = None
    if entry.target_type and entry.target_id:
        target = schemas.AuditTarget(type=entry.target_type, id=entry.target_id)
    return schemas.AuditEntry(
        id=entry.id,
        actor=schemas.AuditActor(type=entry.actor_type, id=entry.actor_id, name=entry.actor_name),
        action=entry.action,
        target=target,
        ip=entry.ip,
        created_at=entry.created_us // 1_000_000,
        details=entry.details,
    )
