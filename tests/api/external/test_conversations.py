"""Conversations through the External API: opening, reading, listing, assigning, locking."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.conftest import Api


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def test_create_answers_the_conversation_and_get_reads_it_back(api: Api) -> None:
    person = await api.ok("POST", "/end-users", json={"name": "Ann"})
    before = int(time.time())

    created = await api.ok("POST", "/conversations", json={"endUserId": person["id"]})

    assert uuid.UUID(created["id"])
    assert created["assignedAgent"] is None and created["locked"] is False
    assert created["endUser"]["id"] == person["id"]
    assert isinstance(created["createdAt"], int) and before <= created["createdAt"] <= int(time.time())
    assert created["updatedAt"] == created["createdAt"]
    assert await api.ok("GET", f"/conversation/{created['id']}") == created


async def test_create_for_an_unknown_or_foreign_end_user_is_not_found(api: Api, other_api: Api) -> None:
    foreign = await other_api.ok("POST", "/end-users", json={})

    for end_user_id in (foreign["id"], str(uuid.uuid4()), "not-a-uuid"):
        response = await api.call("POST", "/conversations", json={"endUserId": end_user_id})
        _assert_error(response, 404, "not_found")

    assert await api.ok("GET", "/conversations") == []
    assert await other_api.ok("GET", "/conversations") == []


async def test_create_without_an_end_user_is_a_validation_error(api: Api) -> None:
    _assert_error(await api.call("POST", "/conversations", json={}), 422, "validation_error")


async def test_get_unknown_or_malformed_id_is_not_found(api: Api) -> None:
    for conversation_id in (str(uuid.uuid4()), "nope", "1"):
        _assert_error(await api.call("GET", f"/conversation/{conversation_id}"), 404, "not_found")


async def test_the_list_is_newest_first_and_pages_with_after_and_limit(api: Api) -> None:
    opened = [await api.conversation(name=f"n{i}") for i in range(5)]

    listed = await api.ok("GET", "/conversations")

    assert [c["id"] for c in listed] == [c["id"] for c in reversed(opened)]
    assert [c["createdAt"] for c in listed] == sorted((c["createdAt"] for c in listed), reverse=True)

    walked: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while page := await api.ok("GET", "/conversations", params=params):
        assert len(page) <= 2
        walked += page
        params = {"limit": 2, "after": page[-1]["id"]}
    assert [c["id"] for c in walked] == [c["id"] for c in listed]


async def test_conversations_opened_within_one_second_are_listed_newest_first(api: Api) -> None:
    opened = [await api.conversation() for _ in range(10)]

    listed = await api.ok("GET", "/conversations")

    assert [c["id"] for c in listed] == [c["id"] for c in reversed(opened)]


async def test_the_list_filters_by_end_user_and_by_assigned_agent(api: Api) -> None:
    ann = await api.ok("POST", "/end-users", json={"name": "Ann"})
    bob = await api.ok("POST", "/end-users", json={"name": "Bob"})
    ann_1 = await api.ok("POST", "/conversations", json={"endUserId": ann["id"]})
    ann_2 = await api.ok("POST", "/conversations", json={"endUserId": ann["id"]})
    bob_1 = await api.ok("POST", "/conversations", json={"endUserId": bob["id"]})
    vera, max_ = await api.agent("vera"), await api.agent("max")
    await api.ok("POST", f"/conversation/{ann_1['id']}/assign-agent", json={"agentId": vera["id"]})
    await api.ok("POST", f"/conversation/{bob_1['id']}/assign-agent", json={"agentId": vera["id"]})

    async def ids(**params: str) -> set[str]:
        return {c["id"] for c in await api.ok("GET", "/conversations", params=params)}

    assert await ids(endUserId=ann["id"]) == {ann_1["id"], ann_2["id"]}
    assert await ids(endUserId=bob["id"]) == {bob_1["id"]}
    assert await ids(agentId=vera["id"]) == {ann_1["id"], bob_1["id"]}
    assert await ids(agentId=max_["id"]) == set()
    assert await ids(endUserId=ann["id"], agentId=vera["id"]) == {ann_1["id"]}
    assert await ids(endUserId=str(uuid.uuid4())) == set()


async def test_assign_agent_answers_the_conversation_with_the_full_agent(api: Api) -> None:
    conversation = await api.conversation()
    agent = await api.agent("agent-1", availability="away")

    assigned = await api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})

    assert assigned["id"] == conversation["id"]
    assert assigned["assignedAgent"] == agent
    assert (await api.ok("GET", f"/conversation/{conversation['id']}"))["assignedAgent"] == agent


async def test_assigning_the_same_agent_again_is_a_no_op_that_answers_200(api: Api) -> None:
    conversation = await api.conversation()
    agent = await api.agent()
    path = f"/conversation/{conversation['id']}/assign-agent"
    first = await api.ok("POST", path, json={"agentId": agent["id"]})

    again = await api.ok("POST", path, json={"agentId": agent["id"]})

    assert again["assignedAgent"] == first["assignedAgent"] == agent
    assert again["updatedAt"] == first["updatedAt"]
    assert await api.ok("GET", f"/conversation/{conversation['id']}") == again


async def test_reassigning_to_another_agent_replaces_the_assignment(api: Api) -> None:
    conversation = await api.conversation()
    vera, max_ = await api.agent("vera"), await api.agent("max")
    path = f"/conversation/{conversation['id']}/assign-agent"
    await api.ok("POST", path, json={"agentId": vera["id"]})

    moved = await api.ok("POST", path, json={"agentId": max_["id"]})

    assert moved["assignedAgent"]["id"] == max_["id"]


async def test_an_inactive_agent_cannot_be_assigned(api: Api) -> None:
    conversation = await api.conversation()
    agent = await api.agent(active=False)

    response = await api.call("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})

    _assert_error(response, 409, "conflict")
    assert (await api.ok("GET", f"/conversation/{conversation['id']}"))["assignedAgent"] is None


async def test_an_unknown_or_malformed_agent_is_not_found(api: Api) -> None:
    conversation = await api.conversation()

    for agent_id in (str(uuid.uuid4()), "not-an-id", ""):
        body = {"agentId": agent_id}
        response = await api.call("POST", f"/conversation/{conversation['id']}/assign-agent", json=body)
        _assert_error(response, 404, "not_found")

    assert (await api.ok("GET", f"/conversation/{conversation['id']}"))["assignedAgent"] is None


async def test_assign_to_an_unknown_conversation_is_not_found(api: Api) -> None:
    agent = await api.agent()
    response = await api.call("POST", f"/conversation/{uuid.uuid4()}/assign-agent", json={"agentId": agent["id"]})
    _assert_error(response, 404, "not_found")


async def test_unassign_sets_the_agent_to_null(api: Api) -> None:
    conversation = await api.conversation()
    agent = await api.agent()
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})

    unassigned = await api.ok("POST", f"{path}/unassign-agent")

    assert unassigned["assignedAgent"] is None
    assert (await api.ok("GET", path))["assignedAgent"] is None
    assert (await api.ok("POST", f"{path}/unassign-agent"))["assignedAgent"] is None
    assert await api.ok("GET", "/conversations", params={"agentId": agent["id"]}) == []


async def test_lock_and_unlock_flip_locked(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}"

    assert (await api.ok("POST", f"{path}/lock"))["locked"] is True
    assert (await api.ok("GET", path))["locked"] is True
    assert (await api.ok("POST", f"{path}/lock"))["locked"] is True
    assert (await api.ok("POST", f"{path}/unlock"))["locked"] is False
    assert (await api.ok("GET", path))["locked"] is False
    assert (await api.ok("POST", f"{path}/unlock"))["locked"] is False
