"""Roles (workflow.md 2): owners and admins reach the console's admin routes (OpenAPI tag `admin`); an agent gets 403
`forbidden` on every one of them, whatever the console shows, and a change of role holds from the next request."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Api

AGENT_API = "/api/agent/v1"
SOME_ID = "01a24413-6d3d-7370-8812-c03d7067080b"  # well-formed, nobody's: the role is refused before any lookup


async def console_token(api: Api, service_user_id: str, role: str) -> tuple[dict[str, Any], str]:
    agent = await api.agent(service_user_id, role=role)
    return agent, (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]


async def call(api: Api, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await api.client.request(method, f"{AGENT_API}{path}", headers=headers, **kwargs)


async def admin_routes(api: Api) -> list[tuple[str, str]]:
    document = (await api.client.get("/openapi.json")).json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", SOME_ID, path.removeprefix(AGENT_API)))
        for path, operations in document["paths"].items()
        if path.startswith(AGENT_API)
        for method, operation in operations.items()
        if "admin" in operation.get("tags", [])
    ]


async def test_an_agent_is_refused_every_admin_route(api: Api) -> None:
    _, token = await console_token(api, "agent-1", "agent")
    routes = await admin_routes(api)
    assert len(routes) >= 20, routes  # agents, tokens, API tokens, webhook, widget, canned responses, audit log
    answers = {route: (await call(api, token, *route, json={})).status_code for route in routes}
    assert set(answers.values()) == {403}, answers
    refused = await call(api, token, "GET", "/widget-settings")
    assert refused.json()["error"] == {
        "code": "forbidden",
        "message": "Only the workspace's owners and admins may do this.",
    }
    assert (await call(api, token, "GET", "/canned-responses")).status_code == 200, "listing them is every agent's"


async def test_a_role_change_holds_from_the_next_request(api: Api) -> None:
    await console_token(api, "owner-1", "owner")  # so that the admin below is not the last owner of anything
    admin, token = await console_token(api, "admin-1", "admin")
    assert (await call(api, token, "GET", "/agents")).status_code == 200
    await api.ok("PUT", f"/agents/{admin['id']}", json={"role": "agent"})
    assert (await call(api, token, "GET", "/agents")).status_code == 403
    assert (await call(api, token, "GET", "/me")).status_code == 200, "still signed in"
    await api.ok("PUT", f"/agents/{admin['id']}", json={"role": "owner"})
    assert (await call(api, token, "GET", "/agents")).status_code == 200


async def test_an_admin_cannot_reach_another_workspace(api: Api, other_api: Api) -> None:
    _, token = await console_token(api, "admin-1", "admin")
    theirs = await other_api.agent("theirs")
    for method, path in (("GET", f"/agents/{theirs['id']}"), ("POST", f"/agents/{theirs['id']}/invite")):
        response = await call(api, token, method, path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    listed = [agent["id"] for agent in (await call(api, token, "GET", "/agents")).json()["data"]]
    assert theirs["id"] not in listed and len(listed) == 1
