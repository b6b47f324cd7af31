"""Auto-assignment: off by default; when on, a new conversation goes to the least busy online, active agent."""

from __future__ import annotations

import httpx

from parley.services.context import Services
from tests.api.external.test_bot import events_of
from tests.conftest import Api, connect_console


async def test_off_by_default(api: Api, services: Services) -> None:
    await connect_console(services, api.workspace_id, (await api.agent())["id"])
    assert (await api.conversation())["assignedAgent"] is None


async def test_a_new_conversation_goes_to_the_online_active_agent_with_fewest_open_ones(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    busy, free = await api.agent("busy"), await api.agent("free")
    away = await api.agent("away", availability="away")
    retired = await api.agent("retired", active=False)
    for agent in (busy, free, away, retired):
        await connect_console(services, api.workspace_id, agent["id"])
    await api.agent("signed-out")  # available, but with no console open
    for _ in range(2):
        opened = await api.conversation()
        await api.ok("POST", f"/conversation/{opened['id']}/assign-agent", json={"agentId": busy["id"]})
    locked = await api.conversation()
    await api.ok("POST", f"/conversation/{locked['id']}/assign-agent", json={"agentId": free["id"]})
    await api.ok("POST", f"/conversation/{locked['id']}/lock")
    settings = await api.ok("PUT", "/widget-settings", json={"autoAssign": True})

    first = await api.conversation()
    assert first["assignedAgent"]["id"] == free["id"], "a locked conversation is not open"
    events = await events_of(services, api.workspace_id, first["id"])
    assert [e["event"] for e in events] == ["conversation.created", "conversation.assigned"]
    assert events[1]["data"]["assignedAgent"]["id"] == free["id"]
    assert (await api.ok("GET", f"/conversation/{first['id']}"))["assignedAgent"]["id"] == free["id"]

    second = await api.conversation()
    assert second["assignedAgent"]["id"] == free["id"], "1 open against 2"
    session = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    visitor = {"Authorization": f"Bearer {session.json()['data']['endUser']['websocketToken']}"}
    await client.post("/api/widget/v1/messages", json={"uuid": "hi", "text": "Hi"}, headers=visitor)
    resumed = await client.post("/api/widget/v1/session", headers=visitor)
    assert resumed.json()["data"]["conversation"]["assignedAgent"]["id"] == busy["id"], "2 against 2: the earliest"

    for agent in (busy, free):
        await api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "away"})
    assert (await api.conversation())["assignedAgent"] is None, "nobody online: left unassigned"
