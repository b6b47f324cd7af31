"""The demo's owner, so that `parley demo` can print how to sign in to the console (and tests can open it)."""

from __future__ import annotations

from parley import schemas
from parley.services import audit, people, sessions, workspaces
from parley.services.context import Services
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import people as people_repo

DEMO_AGENT_SERVICE_USER_ID = "demo-agent"
DEMO_AGENT_NAME = "Demo Agent"
DEMO_AGENT_EMAIL = "demo@example.com"


async def ensure_demo_agent(
    svc: Services, workspace: WorkspaceRecord, password: str | None = None
) -> tuple[schemas.Agent, str]:
    """The demo workspace's owner (created once, with `DEMO_AGENT_EMAIL`) and a fresh console token for them. With
    `password`, that becomes their password; either way their older sessions and tokens are ended, as
    `ensure_demo_workspace` does with the demo API token."""
    found = await svc.db.read(people_repo.agent_with_service_user_id, workspace.id, DEMO_AGENT_SERVICE_USER_ID)
    if found is None:
        request = schemas.CreateAgentRequest(
            service_user_id=DEMO_AGENT_SERVICE_USER_ID, name=DEMO_AGENT_NAME, email=DEMO_AGENT_EMAIL, role="owner"
        )
        agent = await people.create_agent(svc, workspace, request, audit.CLI)
    elif found.email != DEMO_AGENT_EMAIL or found.role != "owner":  # made before agents signed in
        change = schemas.UpdateAgentRequest(email=DEMO_AGENT_EMAIL, role="owner")
        agent = await people.update_agent(svc, workspace, found.id, change, audit.CLI)
    else:
        agent = await people.get_agent(svc, workspace, found.id)
    if password is not None:
        await sessions.set_password(svc, workspace, agent.id, password)
    for old in await workspaces.list_agent_tokens(svc, workspace, agent.id):
        await workspaces.revoke_token(svc, old.id)
    return agent, await workspaces.issue_agent_token(svc, workspace, agent.id, audit.CLI)
