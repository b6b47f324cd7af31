"""The demo's agent, so that `parley demo` can print a console link that is already signed in."""

from __future__ import annotations

from parley import schemas
from parley.services import people, workspaces
from parley.services.context import Services
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import people as people_repo

DEMO_AGENT_SERVICE_USER_ID = "demo-agent"
DEMO_AGENT_NAME = "Demo Agent"


async def ensure_demo_agent(svc: Services, workspace: WorkspaceRecord) -> tuple[schemas.Agent, str]:
    """The demo workspace's agent (created once) and a fresh console token for them; their older ones are revoked,
    as `ensure_demo_workspace` does with the demo API token."""
    found = await svc.db.read(people_repo.agent_with_service_user_id, workspace.id, DEMO_AGENT_SERVICE_USER_ID)
    if found is None:
        request = schemas.CreateAgentRequest(service_user_id=DEMO_AGENT_SERVICE_USER_ID, name=DEMO_AGENT_NAME)
        agent = await people.create_agent(svc, workspace, request)
    else:
        agent = await people.get_agent(svc, workspace, found.id)
    for old in await workspaces.list_tokens(svc, workspace.id):
        if old.agent_id == agent.id and old.revoked_at is None:
            await workspaces.revoke_token(svc, old.id)
    return agent, await workspaces.issue_agent_token(svc, workspace, agent.id)
