"""Agents through the External API: create, read, list, partial update, avatars."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.support.upstream import FileServer, image_bytes

AGENT_KEYS = {"id", "serviceUserId", "name", "status", "availability", "avatar", "active", "createdAt", "updatedAt"}


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def test_create_answers_the_agent_with_defaults_and_get_reads_it_back(api: Api) -> None:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": "crm-17", "name": "Vadim Belorusov"})

    assert agent.keys() >= AGENT_KEYS
    assert uuid.UUID(agent["id"])
    assert agent["serviceUserId"] == "crm-17" and agent["name"] == "Vadim Belorusov"
    assert agent["status"] == "offline" and agent["availability"] == "online"
    assert agent["active"] is True and agent["avatar"] is None
    assert isinstance(agent["createdAt"], int) and agent["updatedAt"] == agent["createdAt"]
    assert await api.ok("GET", f"/agents/{agent['id']}") == agent


async def test_create_takes_availability_and_active_and_ignores_the_read_only_status(api: Api) -> None:
    agent = await api.agent("a-1", availability="away", status="online", active=False)
    assert agent["availability"] == "away" and agent["active"] is False
    assert agent["status"] == "offline", "the status is derived: no console of theirs is open"


INVALID_CREATES: list[dict[str, Any]] = [
    {"name": "No id"},
    {"serviceUserId": "a-1"},
    {"serviceUserId": "", "name": "X"},
    {"serviceUserId": "a-1", "name": ""},
    {"serviceUserId": "a-1", "name": "X", "availability": "busy"},
    {"serviceUserId": "a-1", "name": "X", "availability": "ONLINE"},
    {"serviceUserId": "a-1", "name": "X", "availability": "offline"},
    {"serviceUserId": "a-1", "name": "X", "active": "sometimes"},
]


async def test_an_invalid_create_is_a_validation_error_and_creates_nothing(api: Api) -> None:
    for body in INVALID_CREATES:
        _assert_error(await api.call("POST", "/agents", json=body), 422, "validation_error")
    assert await api.ok("GET", "/agents") == []


async def test_a_duplicate_service_user_id_is_a_conflict_on_create(api: Api) -> None:
    first = await api.agent("crm-17")

    response = await api.call("POST", "/agents", json={"serviceUserId": "crm-17", "name": "Someone else"})

    _assert_error(response, 409, "conflict")
    assert await api.ok("GET", "/agents") == [first]


async def test_the_same_service_user_id_may_exist_in_another_workspace(api: Api, other_api: Api) -> None:
    mine = await api.agent("crm-17")
    theirs = await other_api.agent("crm-17")
    assert mine["id"] != theirs["id"]


async def test_a_partial_put_changes_only_the_fields_sent(api: Api) -> None:
    agent = await api.agent("crm-17", name="Vera")

    renamed = await api.ok("PUT", f"/agents/{agent['id']}", json={"name": "Vera K."})
    assert renamed == {**agent, "name": "Vera K.", "updatedAt": renamed["updatedAt"]}
    assert renamed["updatedAt"] >= agent["updatedAt"]

    away = await api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "away"})
    assert away["availability"] == "away" and away["name"] == "Vera K." and away["serviceUserId"] == "crm-17"

    inactive = await api.ok("PUT", f"/agents/{agent['id']}", json={"active": False, "serviceUserId": "crm-18"})
    assert inactive["active"] is False and inactive["serviceUserId"] == "crm-18"
    assert inactive["availability"] == "away" and inactive["name"] == "Vera K."

    unchanged = await api.ok("PUT", f"/agents/{agent['id']}", json={})
    assert unchanged == inactive
    assert await api.ok("GET", f"/agents/{agent['id']}") == inactive


async def test_a_duplicate_service_user_id_is_a_conflict_on_update(api: Api) -> None:
    await api.agent("crm-1")
    second = await api.agent("crm-2")

    response = await api.call("PUT", f"/agents/{second['id']}", json={"serviceUserId": "crm-1", "name": "Changed"})

    _assert_error(response, 409, "conflict")
    assert await api.ok("GET", f"/agents/{second['id']}") == second
    same = await api.ok("PUT", f"/agents/{second['id']}", json={"serviceUserId": "crm-2"})
    assert same["serviceUserId"] == "crm-2"


async def test_update_accepts_only_online_or_away(api: Api) -> None:
    agent = await api.agent()
    for availability in ("busy", "offline", "", 1):
        response = await api.call("PUT", f"/agents/{agent['id']}", json={"availability": availability})
        _assert_error(response, 422, "validation_error")
    assert await api.ok("GET", f"/agents/{agent['id']}") == agent
    ignored = await api.ok("PUT", f"/agents/{agent['id']}", json={"status": "online"})
    assert ignored["status"] == "offline", "the status is read-only"


async def test_unknown_or_malformed_agent_ids_are_not_found(api: Api) -> None:
    for agent_id in (str(uuid.uuid4()), "not-a-uuid", str(uuid.uuid4()).upper() + "0"):
        _assert_error(await api.call("GET", f"/agents/{agent_id}"), 404, "not_found")
        _assert_error(await api.call("PUT", f"/agents/{agent_id}", json={"name": "X"}), 404, "not_found")


async def test_an_avatar_url_becomes_a_full_file_object(
    api: Api, file_server: FileServer, client: httpx.AsyncClient
) -> None:
    content = image_bytes("PNG", (40, 30))
    url = file_server.add(f"/{uuid.uuid4().hex}/avatar.png", content, "application/octet-stream")

    agent = await api.agent("crm-17", avatar=url)

    avatar = agent["avatar"]
    digest = hashlib.sha256(content).hexdigest()
    path = f"/{digest[:2]}/{digest[2:4]}/{digest[4:6]}/{digest}.png"
    assert avatar["type"] == "image" and avatar["meta"] == {"width": 40, "height": 30}
    assert avatar["info"]["path"] == path and avatar["info"]["mimeType"] == "image/png"
    assert avatar["info"]["size"] == len(content)
    assert avatar["url"]["default"] == f"http://parley.test/static{path}"
    assert avatar["url"]["120x120"] == f"http://parley.test/static/120x120{path}"
    assert uuid.UUID(avatar["id"])
    assert (await api.ok("GET", f"/agents/{agent['id']}"))["avatar"] == avatar
    assert (await client.get(f"/static{path}")).content == content


async def test_an_avatar_can_be_set_by_update(api: Api, file_server: FileServer) -> None:
    agent = await api.agent()
    url = file_server.add(f"/{uuid.uuid4().hex}/face.gif", image_bytes("GIF", (16, 16)), "image/gif")

    updated = await api.ok("PUT", f"/agents/{agent['id']}", json={"avatar": url})

    assert updated["avatar"]["type"] == "image" and updated["avatar"]["meta"] == {"width": 16, "height": 16}
    assert updated["name"] == agent["name"]


async def test_an_avatar_url_that_cannot_be_fetched_creates_no_agent(api: Api, file_server: FileServer) -> None:
    response = await api.call("POST", "/agents", json={"serviceUserId": "a", "name": "A", "avatar": "ftp://x/y"})
    _assert_error(response, 422, "unsupported_url")
    missing = file_server.url(f"/{uuid.uuid4().hex}/missing.png")
    response = await api.call("POST", "/agents", json={"serviceUserId": "a", "name": "A", "avatar": missing})
    _assert_error(response, 422, "fetch_failed")
    assert await api.ok("GET", "/agents") == []


async def test_the_list_pages_with_after_and_limit_through_every_agent_once(api: Api) -> None:
    created = [await api.agent(f"crm-{i}") for i in range(5)]

    listed = await api.ok("GET", "/agents")
    assert sorted(a["id"] for a in listed) == sorted(a["id"] for a in created)

    walked: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while page := await api.ok("GET", "/agents", params=params):
        assert len(page) <= 2
        walked += page
        params = {"limit": 2, "after": page[-1]["id"]}
    assert [a["id"] for a in walked] == [a["id"] for a in listed]
    assert await api.ok("GET", "/agents", params={"after": listed[-1]["id"]}) == []
    assert await api.ok("GET", "/agents", params={"limit": 1}) == listed[:1]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.bin", b"\x00\x01\x02 not an image at all"),
        ("paper.pdf", b"%PDF-1.7\n1 0 obj\n"),
        ("face.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
        ("face.png", image_bytes("PNG", (300, 300))[:200]),  # a truncated image: a broken picture in the widget
    ],
)
async def test_an_avatar_that_is_not_an_image_is_refused_and_nothing_changes(
    api: Api, file_server: FileServer, name: str, content: bytes
) -> None:
    url = file_server.add(f"/{uuid.uuid4().hex}/{name}", content, "image/png")
    kept = await api.agent("crm-1", avatar=file_server.add(f"/{uuid.uuid4().hex}/ok.png", image_bytes()))

    created = await api.call("POST", "/agents", json={"serviceUserId": "crm-2", "name": "B", "avatar": url})
    updated = await api.call("PUT", f"/agents/{kept['id']}", json={"avatar": url, "name": "Renamed"})

    _assert_error(created, 415, "unsupported_media_type")
    _assert_error(updated, 415, "unsupported_media_type")
    assert await api.ok("GET", "/agents") == [kept]
