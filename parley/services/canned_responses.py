"""Canned responses: reply templates an agent inserts by typing `/` and their shortcut. The External API and the
agent API manage them alike, through here.

A shortcut is unique in its workspace. The database's unique constraint says so, not a read before the write: two
concurrent creations of one shortcut then store one and answer the other 409, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from parley import schemas
from parley.clock import now_seconds
from parley.errors import conflict, not_found
from parley.services import audit
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.messages import check_text
from parley.services.paging import continue_after
from parley.storage.database import Transaction
from parley.storage.records import CannedResponseRecord, WorkspaceRecord
from parley.storage.repositories import canned_responses as repo

T = TypeVar("T")


async def list_canned_responses(
    svc: Services, workspace: WorkspaceRecord, after: str | None, limit: int
) -> list[schemas.CannedResponse]:
    """By shortcut; `after` is the id of the last one of the previous page."""

    def load(conn: Connection) -> list[CannedResponseRecord]:
        after_shortcut = continue_after(after, partial(_find, conn, workspace.id), lambda r: r.shortcut)
        return repo.list_canned_responses(conn, workspace.id, after_shortcut, limit)

    return [_view(r) for r in await svc.db.read(load)]


async def create_canned_response(
    svc: Services, workspace: WorkspaceRecord, request: schemas.CreateCannedResponseRequest, actor: audit.Actor
) -> schemas.CannedResponse:
    check_text(svc, request.text)
    now = now_seconds()
    record = CannedResponseRecord(
        id=new_id(),
        workspace_id=workspace.id,
        shortcut=request.shortcut,
        text=request.text,
        created_at=now,
        updated_at=now,
    )

    def add(tx: Transaction) -> None:
        repo.add_canned_response(tx.conn, **record.as_row())
        _record(tx, actor, record, "created", {"shortcut": record.shortcut})

    await _write(svc, add, request.shortcut)
    return _view(record)


async def update_canned_response(
    svc: Services,
    workspace: WorkspaceRecord,
    response_id: str,
    request: schemas.UpdateCannedResponseRequest,
    actor: audit.Actor,
) -> schemas.CannedResponse:
    """Partial: only the fields present (and not null) change; `updatedAt` moves only when one really does."""
    asked: dict[str, Any] = request.model_dump(exclude_none=True, by_alias=False)
    if "text" in asked:
        check_text(svc, asked["text"])

    def change(tx: Transaction) -> CannedResponseRecord:
        current = _find(tx.conn, workspace.id, response_id)
        changes = {field: value for field, value in asked.items() if getattr(current, field) != value}
        if not changes:
            return current
        repo.update_canned_response(tx.conn, current.id, updated_at=now_seconds(), **changes)
        _record(tx, actor, current, "updated", {"fields": sorted(changes)})
        return _find(tx.conn, workspace.id, current.id)

    return _view(await _write(svc, change, asked.get("shortcut", "")))


async def delete_canned_response(
    svc: Services, workspace: WorkspaceRecord, response_id: str, actor: audit.Actor
) -> schemas.Deleted:

    def remove(tx: Transaction) -> str:
        found = _find(tx.conn, workspace.id, response_id)
        repo.delete_canned_response(tx.conn, found.id)
        _record(tx, actor, found, "deleted", {"shortcut": found.shortcut})
        return found.id

    return schemas.Deleted(id=await svc.db.write(remove))


async def _write(svc: Services, work: Callable[[Transaction], T], shortcut: str) -> T:
    """Run a write; the shortcut's unique constraint refusing it means the workspace has that shortcut already."""
    try:
        return await svc.db.write(work)
    except IntegrityError:
        raise conflict(f"The shortcut /{shortcut} is taken in this workspace.") from None


def _record(
    tx: Transaction, actor: audit.Actor, response: CannedResponseRecord, done: str, details: dict[str, Any]
) -> None:
    target = ("canned_response", response.id)
    audit.record(tx, actor, response.workspace_id, f"canned_response.{done}", target, details)


def _find(conn: Connection, workspace_id: str, response_id: str) -> CannedResponseRecord:
    found = repo.get_canned_response(conn, workspace_id, check_id(response_id, "Canned response"))
    if found is None:
        raise not_found("Canned response")
    return found


def _view(record: CannedResponseRecord) -> schemas.CannedResponse:
    return schemas.CannedResponse(
        id=record.id,
        shortcut=record.shortcut,
        text=record.text,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
