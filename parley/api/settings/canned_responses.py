"""The workspace's canned responses: reply templates the console offers when an agent types `/`."""

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import IdCursor, Limit, error_responses
from parley.api.settings import CallerDependency, Tags
from parley.schemas import MAX_LIST_LIMIT, Envelope
from parley.services import canned_responses

CannedResponseEnvelope = Envelope[schemas.CannedResponse]


def build(Caller: CallerDependency, Reader: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    """`Reader` may list them (on the console's API: every agent, who offers them); `Caller` may change them."""
    router = APIRouter(prefix="/canned-responses", tags=tags, responses=error_responses())
    # The changes are admin routes on the console's API; the listing is not.
    tag: Tags = ["admin"] if admin else []
    refusals = (403,) if admin else ()

    @router.get("", response_model=Envelope[list[schemas.CannedResponse]], summary="List canned responses")
    async def list_canned_responses(
        reader: Reader, after: IdCursor = None, limit: Limit = MAX_LIST_LIMIT
    ) -> Envelope[list[schemas.CannedResponse]]:
        """Sorted by shortcut; `after` is the id of the last one of the previous page."""
        found = await canned_responses.list_canned_responses(reader.services, reader.workspace, after, limit)
        return Envelope[list[schemas.CannedResponse]](data=found)

    @router.post(
        "",
        response_model=CannedResponseEnvelope,
        tags=tag,
        responses=error_responses(409, *refusals),
        summary="Add a canned response",
    )
    async def create_canned_response(
        body: schemas.CreateCannedResponseRequest, caller: Caller
    ) -> CannedResponseEnvelope:
        """`shortcut`: 1-32 characters of `a-z 0-9 _ -`, unique in the workspace (409 `conflict` otherwise)."""
        created = await canned_responses.create_canned_response(caller.services, caller.workspace, body, caller.actor)
        return CannedResponseEnvelope(data=created)

    @router.put(
        "/{id}",
        response_model=CannedResponseEnvelope,
        tags=tag,
        responses=error_responses(409, *refusals),
        summary="Change a canned response",
    )
    async def update_canned_response(
        id: str, body: schemas.UpdateCannedResponseRequest, caller: Caller
    ) -> CannedResponseEnvelope:
        """Partial: only the fields present change; a shortcut another one has is 409 `conflict`."""
        changed = await canned_responses.update_canned_response(
            caller.services, caller.workspace, id, body, caller.actor
        )
        return CannedResponseEnvelope(data=changed)

    @router.delete(
        "/{id}",
        response_model=Envelope[schemas.Deleted],
        tags=tag,
        responses=error_responses(*refusals),
        summary="Delete a canned response",
    )
    async def delete_canned_response(id: str, caller: Caller) -> Envelope[schemas.Deleted]:
        deleted = await canned_responses.delete_canned_response(caller.services, caller.workspace, id, caller.actor)
        return Envelope[schemas.Deleted](data=deleted)

    return router
