"""Agents of the workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, Limit, error_responses
from parley.schemas import Envelope
from parley.services import people, workspaces

router = APIRouter(prefix="/agents", tags=["agents"], responses=error_responses())

AgentEnvelope = Envelope[schemas.Agent]


@router.get("", response_model=Envelope[list[schemas.Agent]], summary="List agents")
async def list_agents(auth: ExternalAuth, after: IdCursor = None, limit: Limit = 50) -> Envelope[list[schemas.Agent]]:
    return Envelope[list[schemas.Agent]](data=await people.list_agents(auth.services, auth.workspace, after, limit))


@router.post("", response_model=AgentEnvelope, responses=error_responses(409, 415), summary="Create an agent")
async def create_agent(body: schemas.CreateAgentRequest, auth: ExternalAuth) -> AgentEnvelope:
    """`serviceUserId` is unique per workspace (409 otherwise); `avatar` is a URL Parley fetches."""
    return AgentEnvelope(data=await people.create_agent(auth.services, auth.workspace, body))


@router.get("/{id}", response_model=AgentEnvelope, summary="Get an agent")
async def get_agent(id: str, auth: ExternalAuth) -> AgentEnvelope:
    return AgentEnvelope(data=await people.get_agent(auth.services, auth.workspace, id))


@router.put("/{id}", response_model=AgentEnvelope, responses=error_responses(409, 415), summary="Update an agent")
async def update_agent(id: str, body: schemas.UpdateAgentRequest, auth: ExternalAuth) -> AgentEnvelope:
    """Partial: only the fields present change."""
    return AgentEnvelope(data=await people.update_agent(auth.services, auth.workspace, id, body))


@router.post(
    "/{id}/tokens",
    response_model=Envelope[schemas.AgentToken],
    responses=error_responses(409),
    summary="Issue a console token",
)
async def issue_token(id: str, auth: ExternalAuth) -> Envelope[schemas.AgentToken]:
    """The agent signs in to the console with it; shown once, stored hashed. An inactive agent gets none (409)."""
    token = await workspaces.issue_agent_token(auth.services, auth.workspace, id)
    return Envelope[schemas.AgentToken](data=schemas.AgentToken(token=token))


@router.get("/{id}/tokens", response_model=Envelope[list[schemas.AgentTokenInfo]], summary="List console tokens")
async def list_tokens(id: str, auth: ExternalAuth) -> Envelope[list[schemas.AgentTokenInfo]]:
    """The agent's live tokens, oldest first: when each was issued and last used, never the token itself."""
    found = await workspaces.list_agent_tokens(auth.services, auth.workspace, id)
    data = [schemas.AgentTokenInfo(id=t.id, created_at=t.created_at, last_used_at=t.last_used_at) for t in found]
    return Envelope[list[schemas.AgentTokenInfo]](data=data)


@router.delete("/{id}/tokens/{tokenId}", response_model=Envelope[schemas.Deleted], summary="Revoke a console token")
async def revoke_token(
    id: str, token_id: Annotated[str, Path(alias="tokenId")], auth: ExternalAuth
) -> Envelope[schemas.Deleted]:
    """Refused from the next request on, on every worker; the token's open websockets close with 4401."""
    revoked = await workspaces.revoke_agent_token(auth.services, auth.workspace, id, token_id)
    return Envelope[schemas.Deleted](data=schemas.Deleted(id=revoked))
