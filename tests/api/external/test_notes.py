"""Internal notes through the External API: an agent's message of type `note`, for agents and integrations only."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.support.waiting import eventually
from tests.webhooks.conftest import Receiver, receiver

__all__ = ["receiver"]


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def conversation_with_agent(api: Api) -> tuple[str, dict[str, Any]]:
    """A visitor's conversation (with one message of theirs) and an active agent of the workspace."""
    conversation = await api.conversation(name="Ann")
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/send-text-message", json={"uuid": "v1", "text": "My parcel never came"})
    return path, await api.agent()


async def test_a_note_is_the_agents_message_of_type_note_and_the_history_keeps_it_in_order(api: Api) -> None:
    path, agent = await conversation_with_agent(api)
    note = await api.ok(
        "POST", f"{path}/send-note", json={"uuid": "n1", "text": "Courier lost it, refund", "agentId": agent["id"]}
    )

    assert (note["type"], note["body"], note["source"]) == ("note", "Courier lost it, refund", "api")
    assert note["agent"]["id"] == agent["id"] and note["endUser"] is None and note["bot"] is None
    assert note["file"] is None and note["review"] is None
    history = await api.ok("GET", f"{path}/messages")
    assert [(m["type"], m["body"]) for m in history] == [
        ("text", "My parcel never came"),
        ("note", "Courier lost it, refund"),
    ]
    assert history[1] == note


async def test_a_note_is_idempotent_on_its_uuid_like_a_text_message(api: Api) -> None:
    path, agent = await conversation_with_agent(api)
    body = {"uuid": "n1", "text": "Refund approved", "agentId": agent["id"]}
    answers = await asyncio.gather(*(api.ok("POST", f"{path}/send-note", json=body) for _ in range(5)))
    assert len({a["id"] for a in answers}) == 1

    assert_error(await api.call("POST", f"{path}/send-note", json={**body, "text": "Other"}), 409, "uuid_conflict")
    other_agent = await api.agent("agent-2")
    assert_error(
        await api.call("POST", f"{path}/send-note", json={**body, "agentId": other_agent["id"]}), 409, "uuid_conflict"
    )
    text_with_that_uuid = {"uuid": "n1", "text": "Refund approved"}
    assert_error(await api.call("POST", f"{path}/send-text-message", json=text_with_that_uuid), 409, "uuid_conflict")
    assert_error(await api.call("POST", f"{path}/send-note", json={**body, "uuid": "v1"}), 409, "uuid_conflict")
    history = await api.ok("GET", f"{path}/messages")
    assert [m["uuid"] for m in history] == ["v1", "n1"]


async def test_a_locked_conversation_refuses_messages_but_takes_notes(api: Api) -> None:
    path, agent = await conversation_with_agent(api)
    await api.ok("POST", f"{path}/lock")
    refused = await api.call("POST", f"{path}/send-text-message", json={"uuid": "v2", "text": "Hello?"})
    assert_error(refused, 423, "conversation_locked")

    body = {"uuid": "n1", "text": "Closed: duplicate of another ticket", "agentId": agent["id"]}
    note = await api.ok("POST", f"{path}/send-note", json=body)
    assert (await api.ok("POST", f"{path}/send-note", json=body))["id"] == note["id"]
    history = await api.ok("GET", f"{path}/messages")
    assert [m["type"] for m in history] == ["text", "note"]
    assert (await api.ok("GET", path))["locked"] is True


async def test_the_author_must_be_an_active_agent_of_the_workspace(api: Api, other_api: Api) -> None:
    path, agent = await conversation_with_agent(api)
    rival = await other_api.agent()
    inactive = await api.agent("agent-2", active=False)
    note = {"uuid": "n1", "text": "A note"}

    for agent_id in (rival["id"], "00000000-0000-4000-8000-000000000000", "not-an-id"):
        assert_error(await api.call("POST", f"{path}/send-note", json={**note, "agentId": agent_id}), 404, "not_found")
    assert_error(await api.call("POST", f"{path}/send-note", json={**note, "agentId": inactive["id"]}), 409, "conflict")
    assert [m["type"] for m in await api.ok("GET", f"{path}/messages")] == ["text"]
    assert (await api.ok("POST", f"{path}/send-note", json={**note, "agentId": agent["id"]}))["type"] == "note"


async def test_another_workspaces_conversation_is_not_found(api: Api, other_api: Api) -> None:
    theirs = await other_api.conversation(name="Bob")
    agent = await api.agent()
    body = {"uuid": "n1", "text": "A note", "agentId": agent["id"]}
    assert_error(await api.call("POST", f"/conversation/{theirs['id']}/send-note", json=body), 404, "not_found")
    assert await other_api.ok("GET", f"/conversation/{theirs['id']}/messages") == []


@pytest.mark.parametrize(
    "body",
    [
        {"text": "no uuid"},
        {"uuid": "n1"},
        {"uuid": "n1", "text": ""},
        {"uuid": "n1", "text": "x" * 10_001},
        {"uuid": "", "text": "empty uuid"},
        {"uuid": "n1", "text": 5},
        {"uuid": "n1", "text": "nul \x00 inside"},
    ],
)
async def test_a_note_has_the_text_rules_of_a_message(api: Api, body: dict[str, Any]) -> None:
    path, agent = await conversation_with_agent(api)
    for refused in ({"agentId": agent["id"], **body}, {"uuid": "n1", "text": "no agent"}):
        assert_error(await api.call("POST", f"{path}/send-note", json=refused), 422, "validation_error")
    assert [m["type"] for m in await api.ok("GET", f"{path}/messages")] == ["text"]


async def test_webhooks_carry_the_note_with_its_type(api: Api, receiver: Receiver) -> None:
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    path, agent = await conversation_with_agent(api)
    note = await api.ok("POST", f"{path}/send-note", json={"uuid": "n1", "text": "Call back", "agentId": agent["id"]})

    def delivered_note() -> dict[str, Any]:
        found = [r.event for r in receiver.received if r.event["data"]["id"] == note["id"]]
        assert len(found) == 1, found
        return found[0]

    event = await eventually(delivered_note, what="the note's message.created to reach the webhook")
    assert event["event"] == "message.created"
    assert event["data"] == note
