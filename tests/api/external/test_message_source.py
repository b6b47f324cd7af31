"""Every message says how it arrived (`source`): `api`, `widget` or `console`, the same wherever it is read."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.widget.test_reviews import widget
from tests.conftest import Api
from tests.realtime.conftest import Live, live, realtime_settings
from tests.support.live import open_socket
from tests.support.upstream import FileServer, image_bytes
from tests.support.waiting import eventually
from tests.webhooks.conftest import Receiver, receiver

__all__ = ["live", "realtime_settings", "receiver"]


async def console(client: httpx.AsyncClient, token: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.request(
        method, f"/api/agent/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_each_way_in_records_its_source_in_every_history(
    api: Api, client: httpx.AsyncClient, file_server: FileServer
) -> None:
    """The External API's sends, notes and review requests and what the bot posts by itself are `api`; what the
    widget sends is `widget`; whatever goes through the agent API is `console`."""
    settings = await api.ok("PUT", "/widget-settings", json={"greeting": "Hi, how can we help?"})
    session = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    visitor = session.json()["data"]["endUser"]["websocketToken"]
    sent: dict[str, str] = {}  # message id -> the source it must have

    first = (await widget(client, visitor, "POST", "/messages", json={"uuid": "w1", "text": "Hello"})).json()["data"]
    conversation_id = first["conversationId"]
    path = f"/conversation/{conversation_id}"
    upload = {"file": ("order.txt", b"order 1234", "text/plain")}
    second = (await widget(client, visitor, "POST", "/files", files=upload, data={"uuid": "w2"})).json()["data"]
    sent[first["id"]] = sent[second["id"]] = "widget"

    agent = await api.agent()
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})
    picture = file_server.add("/picture.png", image_bytes(), "image/png")
    for answer in (
        await api.ok("POST", f"{path}/send-text-message", json={"uuid": "e1", "text": "Sent on their behalf"}),
        await api.ok("POST", f"{path}/send-file-message", json={"uuid": "e2", "file": picture}),
        await api.ok("POST", f"{path}/send-note", json={"uuid": "e3", "text": "Note", "agentId": agent["id"]}),
        await api.ok("POST", f"{path}/request-review"),
    ):
        sent[answer["id"]] = "api"
    in_console = f"/conversations/{conversation_id}"
    for answer in (
        await console(client, token, "POST", f"{in_console}/messages", json={"uuid": "c1", "text": "Hi"}),
        await console(client, token, "POST", f"{in_console}/files", files=upload, data={"uuid": "c2"}),
        await console(client, token, "POST", f"{in_console}/notes", json={"uuid": "c3", "text": "N"}),
        await console(client, token, "POST", f"{in_console}/request-review"),
    ):
        sent[answer["id"]] = "console"

    external = await api.ok("GET", f"{path}/messages")
    [greeting] = [m for m in external if m["bot"] is not None and m["type"] == "text"]
    assert greeting["body"] == "Hi, how can we help?"
    assert {m["id"]: m["source"] for m in external} == {**sent, greeting["id"]: "api"}
    agents_view = await console(client, token, "GET", f"{in_console}/messages")
    assert [(m["id"], m["source"]) for m in agents_view] == [(m["id"], m["source"]) for m in external]
    visitors_view = (await widget(client, visitor, "GET", "/messages", params={"limit": 100})).json()["data"]
    assert [(m["id"], m["source"]) for m in visitors_view] == [
        (m["id"], m["source"]) for m in external if m["type"] != "note"
    ]


async def test_the_away_message_is_the_apis(api: Api, client: httpx.AsyncClient) -> None:
    settings = await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})
    session = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    visitor = session.json()["data"]["endUser"]["websocketToken"]
    await widget(client, visitor, "POST", "/messages", json={"uuid": "w1", "text": "Anyone?"})
    history = (await widget(client, visitor, "GET", "/messages")).json()["data"]
    assert [(m["body"], m["source"]) for m in history] == [("Anyone?", "widget"), ("We are away", "api")]


async def test_both_sockets_and_the_webhook_carry_the_source(live: Live, receiver: Receiver) -> None:
    await live.api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    ann = await live.visitor_in_conversation()
    visitor, conversation_id = ann["endUser"]["websocketToken"], ann["conversation"]["id"]
    _, token = await live.agent_with_token()
    async with (
        open_socket(f"{live.ws_base}/api/widget/v1/ws?token={visitor}") as visitor_socket,
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={token}") as agent_socket,
    ):
        await live.widget(visitor, "POST", "/messages", json={"uuid": "w", "text": "From the widget"})
        await live.console(
            token, "POST", f"/conversations/{conversation_id}/messages", json={"uuid": "c", "text": "From the console"}
        )
        await live.api.ok(
            "POST", f"/conversation/{conversation_id}/send-text-message", json={"uuid": "a", "text": "From the API"}
        )
        expected = {"From the widget": "widget", "From the console": "console", "From the API": "api"}
        for socket in (visitor_socket, agent_socket):
            frames = await socket.events_until(
                lambda f: f["event"] == "message.created" and f["data"]["body"] == "From the API"
            )
            heard = {f["data"]["body"]: f["data"]["source"] for f in frames if f["event"] == "message.created"}
            assert heard == expected

    async def delivered() -> dict[str, str]:
        found = {r.event["data"]["body"]: r.event["data"]["source"] for r in receiver.received}
        assert set(found) >= set(expected), found
        return found

    webhook_bodies = await eventually(delivered, what="the three messages to reach the webhook")
    assert {body: source for body, source in webhook_bodies.items() if body in expected} == expected
