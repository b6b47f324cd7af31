"""The workspace's canned responses: reply templates the console offers when an agent types `/`."""

from __future__ import annotations

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, Limit, error_responses
from parley.schemas import MAX_LIST_LIMIT, Envelope
from parley.services import canned_responses

router = APIRouter(prefix="/canned-responses", tags=["canned responses"], responses=error_responses())

CannedResponseEnvelope = Envelope[schemas.CannedResponse]


@router.get("", response_model=Envelope[list[schemas.CannedResponse]], summary="List canned responses")
async def list_canned_responses(
    auth: ExternalAuth, after: IdCursor = None, limit: Limit = MAX_LIST_LIMIT
) -> Envelope[list[schemas.CannedResponse]]:
    """Sorted by shortcut; `after` is the id of the last one of the previous page."""
    found = await canned_responses.list_canned_responses(auth.services, auth.workspace, after, limit)
    return Envelope[list[schemas.CannedResponse]](data=found)


@router.post("", response_model=CannedResponseEnvelope, responses=error_responses(409), summary="Add a canned response")
async def create_canned_response(
    body: schemas.CreateCannedResponseRequest, auth: ExternalAuth
) -> CannedResponseEnvelope:
    """`shortcut`: 1-32 characters of `a-z 0-9 _ -`, unique in the workspace (409 `conflict` otherwise)."""
    return CannedResponseEnvelope(
        data=await canned_responses.create_canned_response(auth.services, auth.workspace, body)
    )


@router.put(
    "/{id}", response_model=CannedResponseEnvelope, responses=error_responses(409), summary="Change a canned response"
)
async def update_canned_response(
    id: str, body: schemas.UpdateCannedResponseRequest, auth: ExternalAuth
) -> CannedResponseEnvelope:
    """Partial: only the fields present change; a shortcut another one has is 409 `conflict`."""
    return CannedResponseEnvelope(
        data=await canned_responses.update_canned_response(auth.services, auth.workspace, id, body)
    )


@router.delete("/{id}", response_model=Envelope[schemas.Deleted], summary="Delete a canned response")
async def delete_canned_response(id: str, auth: ExternalAuth) -> Envelope[schemas.Deleted]:
    return Envelope[schemas.Deleted](
        data=await canned_responses.delete_canned_response(auth.services, auth.workspace, id)
    )
