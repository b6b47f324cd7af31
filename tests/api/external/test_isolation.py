"""Workspaces are sealed from each other: another workspace's ids behave exactly like ids that do not exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.support.upstream import FileServer, image_bytes


@dataclass
class Objects:
    """What workspace B owns."""

    end_user: dict[str, Any]
    cold_end_user: dict[str, Any]
    conversation: dict[str, Any]
    locked_conversation: dict[str, Any]
    agent: dict[str, Any]


@pytest.fixture
async def theirs(other_api: Api) -> Objects:
    """B's objects, in a state A's calls would visibly change: assigned, unlocked (and one locked), with history."""
    agent = await other_api.agent("shared-id", name="B's agent")
    conversation = await other_api.conversation(name="B's visitor", serviceUserId="shared-id")
    await other_api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})
    await other_api.ok(
        "POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": "b-1", "text": "B's words"}
    )
    locked = await other_api.conversation(name="B's other visitor")
    await other_api.ok("POST", f"/conversation/{locked['id']}/lock")
    cold = await other_api.ok("POST", "/end-users", json={"name": "never used"})
    return Objects(
        end_user=conversation["endUser"],
        cold_end_user=cold,
        conversation=await other_api.ok("GET", f"/conversation/{conversation['id']}"),
        locked_conversation=await other_api.ok("GET", f"/conversation/{locked['id']}"),
        agent=await other_api.ok("GET", f"/agents/{agent['id']}"),
    )


async def _snapshot(b: Api, objects: Objects) -> dict[str, Any]:
    """Everything B can read about its objects."""
    conversations = (objects.conversation["id"], objects.locked_conversation["id"])
    return {
        "end_users": [await b.ok("GET", f"/end-users/{o['id']}") for o in (objects.end_user, objects.cold_end_user)],
        "conversations": [await b.ok("GET", f"/conversation/{c}") for c in conversations],
        "messages": [await b.ok("GET", f"/conversation/{c}/messages") for c in conversations],
        "agent": await b.ok("GET", f"/agents/{objects.agent['id']}"),
        "agents": await b.ok("GET", "/agents"),
        "conversation_list": await b.ok("GET", "/conversations"),
    }


def _assert_not_found(response: httpx.Response, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert response.json() == {
        "status": 404,
        "error": {"code": "not_found", "message": response.json()["error"]["message"]},
    }, what


async def test_a_token_can_neither_read_nor_change_another_workspaces_objects(
    api: Api, other_api: Api, theirs: Objects, file_server: FileServer
) -> None:
    before = await _snapshot(other_api, theirs)
    image_path = f"/{uuid.uuid4().hex}/a.png"
    image_url = file_server.add(image_path, image_bytes(), "image/png")
    hits = file_server.hits[image_path]
    own_agent = await api.agent("shared-id")
    own_conversation = await api.conversation()
    conversation, locked = theirs.conversation["id"], theirs.locked_conversation["id"]
    agent = theirs.agent["id"]

    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/end-users/{theirs.cold_end_user['id']}", None),
        ("POST", "/conversations", {"endUserId": theirs.cold_end_user["id"]}),
        ("GET", f"/end-users/{theirs.end_user['id']}", None),
        ("POST", "/conversations", {"endUserId": theirs.end_user["id"]}),
        ("GET", f"/conversation/{conversation}", None),
        ("GET", f"/conversation/{conversation}/messages", None),
        ("POST", f"/conversation/{conversation}/send-text-message", {"uuid": "a-1", "text": "intruder"}),
        ("POST", f"/conversation/{conversation}/send-text-message", {"uuid": "b-1", "text": "B's words"}),
        ("POST", f"/conversation/{conversation}/send-file-message", {"uuid": "a-2", "file": image_url}),
        ("POST", f"/conversation/{conversation}/request-review", None),
        ("POST", f"/conversation/{conversation}/assign-agent", {"agentId": own_agent["id"]}),
        ("POST", f"/conversation/{conversation}/assign-agent", {"agentId": agent}),
        ("POST", f"/conversation/{conversation}/unassign-agent", None),
        ("POST", f"/conversation/{conversation}/lock", None),
        ("POST", f"/conversation/{locked}/unlock", None),
        ("POST", f"/conversation/{locked}/send-text-message", {"uuid": "a-3", "text": "intruder"}),
        ("POST", f"/conversation/{own_conversation['id']}/assign-agent", {"agentId": agent}),
        ("GET", f"/agents/{agent}", None),
        ("PUT", f"/agents/{agent}", {"name": "Renamed by A", "availability": "away", "active": False}),
        ("PUT", f"/agents/{agent}", {"avatar": image_url}),
        ("GET", "/conversations", {"after": conversation}),
        ("GET", "/agents", {"after": agent}),
    ]
    for method, path, body in calls:
        if method == "GET":
            response = await api.call(method, path, params=body)
        else:
            response = await api.call(method, path, json=body)
        _assert_not_found(response, f"{method} {path} {body}")

    assert file_server.hits[image_path] == hits, "a refused call must not fetch anything"
    assert await _snapshot(other_api, theirs) == before
    assert (await api.ok("GET", f"/conversation/{own_conversation['id']}"))["assignedAgent"] is None


async def test_lists_never_contain_another_workspaces_objects(api: Api, other_api: Api, theirs: Objects) -> None:
    own_agent = await api.agent("shared-id")
    own_conversation = await api.conversation(serviceUserId="shared-id")
    await api.ok("POST", f"/conversation/{own_conversation['id']}/assign-agent", json={"agentId": own_agent["id"]})

    assert [a["id"] for a in await api.ok("GET", "/agents")] == [own_agent["id"]]
    assert [c["id"] for c in await api.ok("GET", "/conversations")] == [own_conversation["id"]]
    assert await api.ok("GET", "/conversations", params={"endUserId": theirs.end_user["id"]}) == []
    assert await api.ok("GET", "/conversations", params={"agentId": theirs.agent["id"]}) == []
    assert await api.ok("GET", "/conversations", params={"limit": 100}) != []
    theirs_listed = {c["id"] for c in await other_api.ok("GET", "/conversations")}
    assert theirs_listed == {theirs.conversation["id"], theirs.locked_conversation["id"]}
    assert [a["id"] for a in await other_api.ok("GET", "/agents")] == [theirs.agent["id"]]
