"""The console's canned responses: the same list and rules as the External API's, for the agent's workspace."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Api


async def console(api: Api, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await api.client.request(method, f"/api/agent/v1{path}", headers=headers, **kwargs)


async def agent_token(api: Api, role: str = "admin") -> str:
    agent = await api.agent(f"{role}-1", role=role)
    token: str = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    return token


async def test_every_agent_lists_them_and_only_owners_and_admins_change_them(api: Api) -> None:
    token = await agent_token(api, role="agent")
    made = await api.ok("POST", "/canned-responses", json={"shortcut": "thanks", "text": "Thank you!"})
    assert (await console(api, token, "GET", "/canned-responses")).json()["data"] == [made]
    for method, path, body in (
        ("POST", "/canned-responses", {"shortcut": "hello", "text": "Hello!"}),
        ("PUT", f"/canned-responses/{made['id']}", {"text": "Changed"}),
        ("DELETE", f"/canned-responses/{made['id']}", None),
    ):
        refused = await console(api, token, method, path, json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden"), (method, path)
    assert await api.ok("GET", "/canned-responses") == [made]


async def test_the_console_reads_and_manages_the_workspaces_canned_responses(api: Api) -> None:
    token = await agent_token(api)
    made_by_api = await api.ok("POST", "/canned-responses", json={"shortcut": "thanks", "text": "Thank you!"})
    created = await console(api, token, "POST", "/canned-responses", json={"shortcut": "hello", "text": "Hello!"})
    assert created.status_code == 200, created.text
    made_by_console = created.json()["data"]

    listed = await console(api, token, "GET", "/canned-responses")
    assert listed.json() == {"status": 200, "data": [made_by_console, made_by_api]}
    assert await api.ok("GET", "/canned-responses") == [made_by_console, made_by_api]

    duplicate = await console(api, token, "POST", "/canned-responses", json={"shortcut": "thanks", "text": "Ta"})
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "conflict")
    invalid = await console(api, token, "POST", "/canned-responses", json={"shortcut": "Thanks!", "text": "Ta"})
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (422, "validation_error")

    path = f"/canned-responses/{made_by_api['id']}"
    changed = await console(api, token, "PUT", path, json={"text": "Thanks a lot!"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["text"] == "Thanks a lot!" and changed.json()["data"]["shortcut"] == "thanks"
    deleted = await console(api, token, "DELETE", path)
    assert deleted.json()["data"] == {"id": made_by_api["id"], "deleted": True}
    assert await api.ok("GET", "/canned-responses") == [made_by_console]


async def test_another_workspaces_canned_responses_are_out_of_reach(api: Api, other_api: Api) -> None:
    token = await agent_token(api)
    theirs = await other_api.ok("POST", "/canned-responses", json={"shortcut": "secret", "text": "Theirs."})
    assert (await console(api, token, "GET", "/canned-responses")).json()["data"] == []
    for method, body in (("PUT", {"text": "Mine now"}), ("DELETE", None)):
        response = await console(api, token, method, f"/canned-responses/{theirs['id']}", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert await other_api.ok("GET", "/canned-responses") == [theirs]
