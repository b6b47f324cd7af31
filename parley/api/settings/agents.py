"""Agents of the workspace, their console tokens and invitations."""

from typing import Annotated

from fastapi import APIRouter, Path

from parley import schemas
from parley.api.deps import IdCursor, Limit, error_responses
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import people, sessions, workspaces

AgentEnvelope = Envelope[schemas.Agent]


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/agents", tags, admin)

    @router.get("", response_model=Envelope[list[schemas.Agent]], summary="List agents")
    async def list_agents(caller: Caller, after: IdCursor = None, limit: Limit = 50) -> Envelope[list[schemas.Agent]]:
        found = await people.list_agents(caller.services, caller.workspace, after, limit)
        return Envelope[list[schemas.Agent]](data=found)

    @router.post("", response_model=AgentEnvelope, responses=error_responses(409, 415), summary="Create an agent")
    async def create_agent(body: schemas.CreateAgentRequest, caller: Caller) -> AgentEnvelope:
        """`serviceUserId` and `email` are unique per workspace (409 otherwise); `avatar` is a URL Parley fetches."""
        return AgentEnvelope(data=await people.create_agent(caller.services, caller.workspace, body, caller.actor))

    @router.get("/{id}", response_model=AgentEnvelope, summary="Get an agent")
    async def get_agent(id: str, caller: Caller) -> AgentEnvelope:
        return AgentEnvelope(data=await people.get_agent(caller.services, caller.workspace, id))

    @router.put("/{id}", response_model=AgentEnvelope, responses=error_responses(409, 415), summary="Update an agent")
    async def update_agent(id: str, body: schemas.UpdateAgentRequest, caller: Caller) -> AgentEnvelope:
        """Partial: only the fields present change. Deactivating (`active: false`) ends every session and token
        of the agent on every worker; demoting or deactivating the last active owner is 409."""
        updated = await people.update_agent(caller.services, caller.workspace, id, body, caller.actor)
        return AgentEnvelope(data=updated)

    @router.post(
        "/{id}/invite",
        response_model=Envelope[schemas.Invitation],
        responses=error_responses(409),
        summary="Invite an agent to choose a password",
    )
    async def invite(id: str, caller: Caller) -> Envelope[schemas.Invitation]:
        """A single-use link for 7 days (an earlier one stops working), also mailed to the agent when mail is
        configured. An inactive agent: 409."""
        invitation = await sessions.invite(caller.services, caller.workspace, id, caller.actor)
        return Envelope[schemas.Invitation](data=invitation)

    @router.post(
        "/{id}/tokens",
        response_model=Envelope[schemas.AgentToken],
        responses=error_responses(409),
        summary="Issue a console token",
    )
    async def issue_token(id: str, caller: Caller) -> Envelope[schemas.AgentToken]:
        """The agent signs in to the console with it; shown once, stored hashed. An inactive agent gets none (409)."""
        token = await workspaces.issue_agent_token(caller.services, caller.workspace, id, caller.actor)
        return Envelope[schemas.AgentToken](data=schemas.AgentToken(token=token))

    @router.get(
        "/{id}/tokens",
        response_model=Envelope[list[schemas.AgentTokenInfo]],
        summary="List the agent's sessions and console tokens",
    )
    async def list_tokens(id: str, caller: Caller) -> Envelope[list[schemas.AgentTokenInfo]]:
        """The agent's live tokens, oldest first: when each was issued and last used, never the token itself."""
        found = await workspaces.list_agent_tokens(caller.services, caller.workspace, id)
        data = [schemas.AgentTokenInfo(id=t.id, created_at=t.created_at, last_used_at=t.last_used_at) for t in found]
        return Envelope[list[schemas.AgentTokenInfo]](data=data)

    @router.delete(
        "/{id}/tokens/{tokenId}", response_model=Envelope[schemas.Deleted], summary="Revoke a session or console token"
    )
    async def revoke_token(
        id: str, token_id: Annotated[str, Path(alias="tokenId")], caller: Caller
    ) -> Envelope[schemas.Deleted]:
        """Refused from the next request on, on every worker; the token's open websockets close with 4401."""
        revoked = await workspaces.revoke_agent_token(caller.services, caller.workspace, id, token_id, caller.actor)
        return Envelope[schemas.Deleted](data=schemas.Deleted(id=revoked))

    return router
