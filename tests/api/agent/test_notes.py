"""The console writes internal notes as the signed-in agent; every agent sees them, live and in the history."""

from __future__ import annotations

from typing import Any

import httpx

from parley.services.workspaces import create_workspace
from tests.conftest import Api
from tests.realtime.conftest import Live
from tests.support.live import open_socket


async def call(live: Live, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return await live.http.request(
        method, f"/api/agent/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def test_a_note_is_written_as_the_signed_in_agent_and_every_console_hears_it(live: Live) -> None:
    ann = await live.visitor_in_conversation("My parcel never came")
    conversation_id = ann["conversation"]["id"]
    writer, writer_token = await live.agent_with_token("agent-1")
    _, colleague_token = await live.agent_with_token("agent-2")

    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={colleague_token}") as colleague:
        body = {"uuid": "n1", "text": "Courier lost it: refund"}
        note = await live.console(writer_token, "POST", f"/conversations/{conversation_id}/notes", json=body)
        frame = (await colleague.events_until(lambda f: f["data"].get("id") == note["id"]))[-1]

    assert (note["type"], note["body"], note["source"]) == ("note", "Courier lost it: refund", "console")
    assert note["agent"]["id"] == writer["id"] and note["endUser"] is None and note["bot"] is None
    assert frame["event"] == "message.created" and frame["data"] == note
    history = await live.console(colleague_token, "GET", f"/conversations/{conversation_id}/messages")
    assert [(m["type"], m["body"]) for m in history] == [
        ("text", "My parcel never came"),
        ("note", "Courier lost it: refund"),
    ]
    [row] = await live.console(colleague_token, "GET", "/conversations")
    assert row["lastMessage"]["id"] == note["id"]
    assert row["unreadCount"] == 1, "only the visitor's message waits to be read"


async def test_a_note_is_idempotent_and_taken_by_a_locked_conversation(live: Live) -> None:
    ann = await live.visitor_in_conversation()
    path = f"/conversations/{ann['conversation']['id']}"
    _, token = await live.agent_with_token()
    await live.console(token, "POST", f"{path}/lock")
    refused = await call(live, token, "POST", f"{path}/messages", json={"uuid": "r", "text": "Hi"})
    assert_error(refused, 423, "conversation_locked")

    body = {"uuid": "n1", "text": "Locked: spam"}
    note = await live.console(token, "POST", f"{path}/notes", json=body)
    assert (await live.console(token, "POST", f"{path}/notes", json=body))["id"] == note["id"]
    changed = await call(live, token, "POST", f"{path}/notes", json={**body, "text": "Locked: abuse"})
    assert_error(changed, 409, "uuid_conflict")
    assert [m["type"] for m in await live.console(token, "GET", f"{path}/messages")] == ["text", "note"]


async def test_a_note_needs_text_and_a_conversation_of_the_agents_workspace(live: Live) -> None:
    ann = await live.visitor_in_conversation()
    path = f"/conversations/{ann['conversation']['id']}"
    _, token = await live.agent_with_token()
    for body in ({"uuid": "n1", "text": ""}, {"uuid": "n1"}, {"text": "no uuid"}, {"uuid": "n1", "text": "x" * 10_001}):
        assert_error(await call(live, token, "POST", f"{path}/notes", json=body), 422, "validation_error")

    workspace, rival_token = await create_workspace(live.services, "Rival")
    rival = Api(live.http, rival_token, workspace.id)
    rival_agent = await rival.agent("rival-agent")
    rival_console = (await rival.ok("POST", f"/agents/{rival_agent['id']}/tokens"))["token"]
    refused = await call(live, rival_console, "POST", f"{path}/notes", json={"uuid": "n1", "text": "Peek"})
    assert_error(refused, 404, "not_found")
    assert [m["type"] for m in await live.console(token, "GET", f"{path}/messages")] == ["text"]
