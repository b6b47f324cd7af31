"""`GET /me`: who a console token signs in as, and in which workspace (the console names both before a switch)."""

from __future__ import annotations

from tests.conftest import Api


async def test_me_names_the_agent_and_their_workspace(api: Api, other_api: Api) -> None:
    for caller, workspace_name in ((api, "Acme"), (other_api, "Rival")):
        agent = await caller.agent(name=f"Agent of {workspace_name}")
        token = (await caller.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
        response = await caller.client.get("/api/agent/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        me = response.json()["data"]
        assert me == {**agent, "workspace": {"id": caller.workspace_id, "name": workspace_name}}
