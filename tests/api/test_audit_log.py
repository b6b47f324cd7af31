"""The audit log (workflow.md 2): each change to a workspace's people, credentials and settings is recorded with who
made it, from where, in the change's own transaction; newest first, filtered, and free of every secret."""

from __future__ import annotations

from typing import Any

from parley.services import workspaces
from parley.services.context import Services
from tests.conftest import Api

AGENT_API = "/api/agent/v1"


async def entries(api: Api, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.ok("GET", "/audit-log", params={"limit": 100, **params})
    return found


async def test_the_external_apis_changes_are_recorded_as_its_tokens_with_no_secret(
    api: Api, services: Services
) -> None:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": "a", "name": "Ann", "email": "ann@example.com"})
    await api.ok("PUT", f"/agents/{agent['id']}", json={"name": "Ann B", "role": "admin"})
    console_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    invitation = await api.ok("POST", f"/agents/{agent['id']}/invite")
    await api.ok("PUT", f"/agents/{agent['id']}", json={"active": False})
    api_token = await api.ok("POST", "/api-tokens", json={"name": "zapier"})
    await api.ok("DELETE", f"/api-tokens/{api_token['id']}")
    webhook = await api.ok("PUT", "/webhook", json={"url": "http://127.0.0.1:9/hook"})
    rotated = await api.ok("POST", "/webhook/rotate-secret")
    await api.ok("PUT", "/widget-settings", json={"title": "Help", "botName": "Robin"})
    canned = await api.ok("POST", "/canned-responses", json={"shortcut": "hi", "text": "Hello!"})
    await api.ok("PUT", f"/canned-responses/{canned['id']}", json={"text": "Hello there!"})
    await api.ok("DELETE", f"/canned-responses/{canned['id']}")
    visitor = await api.ok("POST", "/end-users", json={"name": "Vic"})
    await api.ok("GET", f"/end-users/{visitor['id']}/export")
    await api.ok("DELETE", f"/end-users/{visitor['id']}")

    log = await entries(api)
    assert [entry["action"] for entry in reversed(log)] == [
        "agent.created",
        "agent.role_changed",
        "agent.updated",
        "token.created",
        "agent.invited",
        "agent.deactivated",
        "token.created",
        "token.revoked",
        "webhook.updated",
        "webhook.updated",
        "widget_settings.updated",
        "canned_response.created",
        "canned_response.updated",
        "canned_response.deleted",
        "end_user.exported",
        "end_user.erased",
    ]
    ours = (await workspaces.list_tokens(services, api.workspace_id))[0]  # the workspace's first API token
    assert {entry["actor"]["type"] for entry in log} == {"api_token"}
    assert {entry["actor"]["id"] for entry in log} == {ours.id} and log[0]["actor"]["name"] == ours.name
    assert {entry["ip"] for entry in log} == {"127.0.0.1"}
    by_action = {entry["action"]: entry for entry in log}
    assert by_action["agent.role_changed"]["details"] == {"from": "agent", "to": "admin"}
    assert by_action["agent.updated"]["details"] == {"fields": ["name"]}
    assert by_action["agent.updated"]["target"] == {"type": "agent", "id": agent["id"]}
    assert by_action["widget_settings.updated"]["details"] == {"fields": ["botName", "title"]}
    raw = (await api.call("GET", "/audit-log", params={"limit": 100})).text
    secrets = [api.token, console_token, api_token["token"], rotated["secret"], invitation["inviteUrl"].split("=")[1]]
    assert webhook["secret"] and not [secret for secret in [*secrets, webhook["secret"]] if secret in raw]


async def test_a_refused_change_records_nothing(api: Api) -> None:
    await api.ok("POST", "/agents", json={"serviceUserId": "a", "name": "Ann", "email": "ann@example.com"})
    taken = await api.call("POST", "/agents", json={"serviceUserId": "b", "name": "Bo", "email": "ann@example.com"})
    assert taken.status_code == 409
    assert [entry["action"] for entry in await entries(api)] == ["agent.created"]


async def test_the_console_changes_are_the_agents_and_the_log_pages_and_filters(api: Api) -> None:
    admin = await api.agent("admin-1", role="admin")
    token = (await api.ok("POST", f"/agents/{admin['id']}/tokens"))["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for shortcut in ("a", "b", "c"):
        created = await api.client.post(
            f"{AGENT_API}/canned-responses", headers=headers, json={"shortcut": shortcut, "text": shortcut.upper()}
        )
        assert created.status_code == 200, created.text

    by_admin = await entries(api, actor=admin["id"])
    assert [entry["details"]["shortcut"] for entry in by_admin] == ["c", "b", "a"]  # newest first
    assert {(e["actor"]["type"], e["actor"]["name"]) for e in by_admin} == {("agent", "Vadim Belorusov")}
    first_page = await entries(api, limit=2)
    second_page = await entries(api, limit=2, after=first_page[-1]["id"])
    assert [e["id"] for e in first_page + second_page] == [e["id"] for e in (await entries(api))[:4]]
    assert [e["action"] for e in await entries(api, action="agent.created")] == ["agent.created"]
    for nul in ({"actor": "\x00"}, {"action": "a\x00"}):
        refused = await api.call("GET", "/audit-log", params=nul)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_error"), nul
    unknown = await api.call("GET", "/audit-log", params={"after": admin["id"]})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    from_console = await api.client.get(f"{AGENT_API}/audit-log", headers=headers, params={"action": "token.created"})
    assert from_console.status_code == 200 and len(from_console.json()["data"]) == 1


async def test_another_workspaces_log_is_out_of_sight(api: Api, other_api: Api) -> None:
    await other_api.ok("POST", "/api-tokens", json={"name": "theirs"})
    assert await entries(api) == []
    assert [entry["action"] for entry in await entries(other_api)] == ["token.created"]
