"""The workspace's API tokens: the integrators' credentials for the External API."""

from fastapi import APIRouter

from parley import schemas
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import workspaces
from parley.storage.records import TokenRecord


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/api-tokens", tags, admin)

    @router.get("", response_model=Envelope[list[schemas.ApiTokenInfo]], summary="List API tokens")
    async def list_api_tokens(caller: Caller) -> Envelope[list[schemas.ApiTokenInfo]]:
        """The live ones, oldest first: never the token itself, only its first characters."""
        found = await workspaces.list_api_tokens(caller.services, caller.workspace)
        return Envelope[list[schemas.ApiTokenInfo]](data=[_info(token) for token in found])

    @router.post("", response_model=Envelope[schemas.CreatedApiToken], summary="Create an API token")
    async def create_api_token(
        body: schemas.CreateApiTokenRequest, caller: Caller
    ) -> Envelope[schemas.CreatedApiToken]:
        """The token is in this answer only: Parley keeps its hash."""
        record, token = await workspaces.issue_token(caller.services, caller.workspace.id, body.name, caller.actor)
        created = schemas.CreatedApiToken(**dict(_info(record)), token=token)
        return Envelope[schemas.CreatedApiToken](data=created)

    @router.delete("/{id}", response_model=Envelope[schemas.Deleted], summary="Revoke an API token")
    async def revoke_api_token(id: str, caller: Caller) -> Envelope[schemas.Deleted]:
        """Refused from the next request on, on every worker (the token making this call too, if it is this one)."""
        revoked = await workspaces.revoke_api_token(caller.services, caller.workspace, id, caller.actor)
        return Envelope[schemas.Deleted](data=schemas.Deleted(id=revoked))

    return router


def _info(token: TokenRecord) -> schemas.ApiTokenInfo:
    return schemas.ApiTokenInfo(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )
