"""An agent's internal note never reaches the visitor: not in the widget's history, not on their socket (live or
replayed after a reconnect), not in what their read receipts mark, and it does not hold the away message back."""

from __future__ import annotations

import json
from typing import Any

import httpx

from parley.schemas import MAX_CURSOR
from parley.services.context import Services
from parley.storage.repositories import events as event_repo
from tests.api.widget.test_reviews import widget
from tests.conftest import Api
from tests.realtime.conftest import Live, live, realtime_settings
from tests.support.live import Socket, open_socket

__all__ = ["live", "realtime_settings"]


async def visitor_and_agent(api: Api) -> tuple[str, str, str]:
    """A visitor's conversation and an agent of the workspace: (visitor token, conversation path, agent id)."""
    conversation = await api.conversation(name="Ann")
    return conversation["endUser"]["websocketToken"], f"/conversation/{conversation['id']}", (await api.agent())["id"]


async def note(api: Api, path: str, agent_id: str, text: str) -> dict[str, Any]:
    body = {"uuid": text, "text": text, "agentId": agent_id}
    sent: dict[str, Any] = await api.ok("POST", f"{path}/send-note", json=body)
    return sent


async def visitor_history(client: httpx.AsyncClient, token: str, **params: Any) -> list[str]:
    response = await widget(client, token, "GET", "/messages", params=params)
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["data"]]


async def test_the_widget_history_leaves_notes_out_on_every_page(api: Api, client: httpx.AsyncClient) -> None:
    token, path, agent_id = await visitor_and_agent(api)
    await widget(client, token, "POST", "/messages", json={"uuid": "v1", "text": "Where is my parcel?"})
    await note(api, path, agent_id, "Lost by the courier")
    reply = {"uuid": "a1", "text": "Let me check"}
    agent_token = (await api.ok("POST", f"/agents/{agent_id}/tokens"))["token"]
    answered = await client.post(
        f"/api/agent/v1/conversations/{path.rsplit('/', 1)[1]}/messages",
        json=reply,
        headers={"Authorization": f"Bearer {agent_token}"},
    )
    assert answered.status_code == 200, answered.text
    await note(api, path, agent_id, "Refund if not found by Friday")

    assert await visitor_history(client, token) == ["Where is my parcel?", "Let me check"]
    assert await visitor_history(client, token, before=MAX_CURSOR, limit=1) == ["Let me check"]
    assert await visitor_history(client, token, limit=1) == ["Where is my parcel?"]
    everything = [m["body"] for m in await api.ok("GET", f"{path}/messages")]
    assert everything == ["Where is my parcel?", "Lost by the courier", "Let me check", "Refund if not found by Friday"]


async def test_a_read_receipt_neither_marks_nor_reports_a_note(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    """The receipt reports the newest message it marked: the bot's review request before the note, not the note."""
    token, path, agent_id = await visitor_and_agent(api)
    await widget(client, token, "POST", "/messages", json={"uuid": "v1", "text": "Hello"})
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent_id})
    review = await api.ok("POST", f"{path}/request-review")
    written = await note(api, path, agent_id, "Regular customer")

    receipt = await widget(client, token, "POST", "/read", json={"until": written["microseconds"]})
    assert receipt.json()["data"] == {"marked": 1}
    history = await api.ok("GET", f"{path}/messages")
    statuses = [(m["type"], m["status"]) for m in history]
    assert statuses == [("text", "delivered"), ("review", "read"), ("note", "delivered")]
    conversation_id = path.rsplit("/", 1)[1]
    stored = await services.db.read(event_repo.events_after, api.workspace_id, [conversation_id], 0, 100)
    reported = [json.loads(e.payload)["data"]["id"] for e in stored if e.name == "message.status_changed"]
    assert reported == [review["id"]]


async def test_a_note_does_not_hold_the_away_message_back(api: Api, client: httpx.AsyncClient) -> None:
    """The away message waits while an agent writes to the visitor; a note is not writing to the visitor."""
    settings = await api.ok("GET", "/widget-settings")
    session = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    token = session.json()["data"]["endUser"]["websocketToken"]
    first = await widget(client, token, "POST", "/messages", json={"uuid": "v1", "text": "Hello"})
    path = f"/conversation/{first.json()['data']['conversationId']}"
    agent_id = (await api.agent())["id"]  # offline: the team is away
    await note(api, path, agent_id, "I'll take this one tomorrow")
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})

    await widget(client, token, "POST", "/messages", json={"uuid": "v2", "text": "Anyone?"})
    assert await visitor_history(client, token) == ["Hello", "Anyone?", "We are away"]


def bodies(frames: list[dict[str, Any]]) -> list[str]:
    return [f["data"]["body"] for f in frames if f["event"] == "message.created"]


async def until_message(socket: Socket, text: str) -> list[dict[str, Any]]:
    return await socket.events_until(lambda f: f["event"] == "message.created" and f["data"]["body"] == text)


async def test_the_visitors_socket_carries_no_note_live_or_replayed(live: Live) -> None:
    """The visitor's meta says `"type": "note"` too: their own messages, which carry it, still reach them."""
    person = await live.api.ok("POST", "/end-users", json={"name": "Ann", "meta": {"type": "note"}})
    conversation = await live.api.ok("POST", "/conversations", json={"endUserId": person["id"]})
    token, path = person["websocketToken"], f"/conversation/{conversation['id']}"
    agent, agent_token = await live.agent_with_token()
    url = f"{live.ws_base}/api/widget/v1/ws?token={token}"

    async with open_socket(url) as socket:
        opened = await live.widget(token, "POST", "/messages", json={"uuid": "v1", "text": "Hello"})
        await note(live.api, path, agent["id"], "VIP: answer first")
        await live.console(
            agent_token, "POST", f"/conversations/{conversation['id']}/notes", json={"uuid": "c", "text": "On it"}
        )
        await live.api.ok("POST", f"{path}/send-text-message", json={"uuid": "v2", "text": "Still there?"})
        frames = await until_message(socket, "Still there?")
        assert bodies(frames) == ["Hello", "Still there?"]
        assert all(f["data"].get("type") != "note" for f in frames)
        assert await socket.silent_for(0.3)

    async with open_socket(f"{url}&after={opened['microseconds'] - 1}") as socket:
        replayed = await until_message(socket, "Still there?")
        assert bodies(replayed) == ["Hello", "Still there?"]
        await note(live.api, path, agent["id"], "Asked twice")
        await live.console(
            agent_token, "POST", f"/conversations/{conversation['id']}/messages", json={"uuid": "a", "text": "Yes!"}
        )
        assert bodies(await until_message(socket, "Yes!")) == ["Yes!"]

    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}&after=0") as agents_socket:
        everything = await until_message(agents_socket, "Yes!")
    notes = [f["data"]["body"] for f in everything if f["event"] == "message.created" and f["data"]["type"] == "note"]
    assert notes == ["VIP: answer first", "On it", "Asked twice"], "the agents' socket carries every note"
