"""The workspace's audit log: who changed its people, credentials and settings."""

from typing import Annotated

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import IdCursor, Limit
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import audit


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/audit-log", tags, admin)

    @router.get("", response_model=Envelope[list[schemas.AuditEntry]], summary="The audit log")
    async def list_audit_log(
        caller: Caller,
        after: IdCursor = None,
        limit: Limit = 50,
        actor: Annotated[
            schemas.StorableStr | None, Query(max_length=64, description="Only entries by this actor's id.")
        ] = None,
        action: Annotated[
            schemas.StorableStr | None,
            Query(max_length=audit.MAX_ACTION_LENGTH, description="Only entries of this action (`agent.created`)."),
        ] = None,
    ) -> Envelope[list[schemas.AuditEntry]]:
        """Newest first; `after` is the id of the last entry of the previous page. Entries are written in the same
        transaction as the change they record; none carries a password, a hash or a token."""
        found = await audit.list_entries(caller.services, caller.workspace, after, limit, actor, action)
        return Envelope[list[schemas.AuditEntry]](data=found)

    @router.get("/actions", response_model=Envelope[list[str]], summary="The actions an entry may record")
    async def list_actions(caller: Caller) -> Envelope[list[str]]:
        """What `action` may filter by: the console's audit log offers them."""
        return Envelope[list[str]](data=list(audit.ACTIONS))

    return router
