"""End users: the site visitors an integrator knows about."""

from __future__ import annotations

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import ExternalAuth, error_responses
from parley.schemas import Envelope
from parley.services import erasure, people

router = APIRouter(prefix="/end-users", tags=["end users"], responses=error_responses())

EndUserEnvelope = Envelope[schemas.EndUser]


@router.post("", response_model=EndUserEnvelope, responses=error_responses(409), summary="Create an end user")
async def create_end_user(body: schemas.CreateEndUserRequest, auth: ExternalAuth) -> EndUserEnvelope:
    """The answer carries the `websocketToken` to hand to the visitor's page."""
    return EndUserEnvelope(data=await people.create_end_user(auth.services, auth.workspace, body))


@router.get("/{id}", response_model=EndUserEnvelope, summary="Get an end user")
async def get_end_user(id: str, auth: ExternalAuth) -> EndUserEnvelope:
    return EndUserEnvelope(data=await people.get_end_user(auth.services, auth.workspace, id))


# Erasure and export (issue 9)
@router.delete("/{id}", response_model=EndUserEnvelope, summary="Erase an end user")
async def erase_end_user(id: str, auth: ExternalAuth) -> EndUserEnvelope:
    """Forget the visitor: their name, email, `serviceUserId` and meta, their messages' text and files, their
    reviews' text. Conversations stay, readable for agents, with an "Erased visitor" as the author. Emits
    `end_user.erased`; answers the erased end user. Erasing again answers the same."""
    return EndUserEnvelope(data=await erasure.erase_end_user(auth.services, auth.workspace, id, auth.actor))


@router.get("/{id}/export", response_model=Envelope[schemas.EndUserExport], summary="Export an end user's data")
async def export_end_user(id: str, auth: ExternalAuth) -> Envelope[schemas.EndUserExport]:
    """Everything stored about the visitor as one JSON document: the end user, their conversations with every
    message, their reviews and the metadata of the files in those messages."""
    return Envelope[schemas.EndUserExport](
        data=await erasure.export_end_user(auth.services, auth.workspace, id, auth.actor)
    )
