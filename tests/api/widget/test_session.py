"""Opening the widget opens no conversation; the visitor's first message does, and their first after a lock opens
the next one, so a locked conversation is never a dead end."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from parley.services.context import Services
from parley.storage.records import ConversationRef
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import events as event_repo
from tests.api.widget.test_reviews import widget
from tests.conftest import Api, connect_console


async def anonymous_visitor(api: Api, client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A visitor as the widget starts one from the site key: (their token, the session's answer)."""
    settings = await api.ok("GET", "/widget-settings")
    response = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()["data"]
    return session["endUser"]["websocketToken"], session


async def resumed_session(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post("/api/widget/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def ok(client: httpx.AsyncClient, token: str, method: str, path: str, **kwargs: Any) -> Any:
    response = await widget(client, token, method, path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def workspace_events(services: Services, workspace_id: str) -> list[str]:
    found = await services.db.read(event_repo.stream_events_between, workspace_id, 0, None, 1000)
    return [event.name for event in found]


async def test_opening_the_widget_opens_nothing_until_the_visitor_writes(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    await api.ok("PUT", "/widget-settings", json={"greeting": "Hello! How can we help?"})
    token, session = await anonymous_visitor(api, client)
    assert session["conversation"] is None
    assert (await resumed_session(client, token))["conversation"] is None, "a reload opens nothing either"
    assert await api.ok("GET", "/conversations") == [], "no empty row in the agents' inbox"

    assert await ok(client, token, "GET", "/messages") == []
    assert await ok(client, token, "POST", "/read", json={"until": 2**62}) == {"marked": 0}
    listening = services.hub.subscribe_agent(api.workspace_id, "an observer", frozenset())
    typing = await ok(client, token, "POST", "/typing", json={"typing": True})
    assert typing == {"conversationId": None, "author": "endUser", "authorId": session["endUser"]["id"], "typing": True}
    assert listening.take() == [], "typing with no conversation reaches no one"
    assert await workspace_events(services, api.workspace_id) == [], "no greeting, no event"


async def test_the_first_message_opens_the_conversation_greeted_and_assigned(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    agent = await api.agent()
    await connect_console(services, api.workspace_id, agent["id"])
    await api.ok("PUT", "/widget-settings", json={"greeting": "Hello! How can we help?", "autoAssign": True})
    token, _ = await anonymous_visitor(api, client)

    sent = await ok(client, token, "POST", "/messages", json={"uuid": "q1", "text": "Where is my order?"})
    conversation = (await resumed_session(client, token))["conversation"]
    assert conversation is not None and sent["conversationId"] == conversation["id"]
    assert conversation["assignedAgent"]["id"] == agent["id"]
    history = await ok(client, token, "GET", "/messages")
    assert [(m["bot"] is not None, m["body"]) for m in history] == [
        (True, "Hello! How can we help?"),
        (False, "Where is my order?"),
    ], "the greeting comes before the message that opened the conversation"
    names = await workspace_events(services, api.workspace_id)
    assert names == [
        "agent.status_changed",  # the agent's console opened
        "conversation.created",
        "conversation.assigned",
        "message.created",
        "message.created",
    ]
    [listed] = await api.ok("GET", "/conversations")
    assert listed["id"] == conversation["id"]

    again = await ok(client, token, "POST", "/messages", json={"uuid": "q2", "text": "Order 1234"})
    assert again["conversationId"] == conversation["id"], "the next message goes to the same conversation"
    repeated = await ok(client, token, "POST", "/messages", json={"uuid": "q1", "text": "Where is my order?"})
    assert repeated["id"] == sent["id"], "a repeated uuid answers the first message"


async def test_a_file_can_be_the_first_message(api: Api, client: httpx.AsyncClient) -> None:
    token, _ = await anonymous_visitor(api, client)
    upload = {"file": ("notes.txt", b"my order number", "text/plain")}
    sent = await ok(client, token, "POST", "/files", files=upload, data={"uuid": "f1"})
    conversation = (await resumed_session(client, token))["conversation"]
    assert sent["type"] == "file" and sent["conversationId"] == conversation["id"]
    again = await ok(client, token, "POST", "/files", files=upload, data={"uuid": "f1"})
    assert again["id"] == sent["id"]


async def test_first_messages_sent_at_once_open_one_conversation(api: Api, client: httpx.AsyncClient) -> None:
    """What a widget kept while offline is sent together when the connection returns."""
    token, _ = await anonymous_visitor(api, client)
    sent = await asyncio.gather(
        *(ok(client, token, "POST", "/messages", json={"uuid": f"m{i}", "text": f"m{i}"}) for i in range(8))
    )
    assert len({m["conversationId"] for m in sent}) == 1
    assert len(await api.ok("GET", "/conversations")) == 1
    assert sorted(m["body"] for m in await ok(client, token, "GET", "/messages")) == [f"m{i}" for i in range(8)]


async def test_after_a_lock_the_visitors_next_message_opens_a_new_conversation(
    api: Api, client: httpx.AsyncClient
) -> None:
    token, _ = await anonymous_visitor(api, client)
    first = await ok(client, token, "POST", "/messages", json={"uuid": "a", "text": "First problem"})
    locked_id = first["conversationId"]
    await api.ok("POST", f"/conversation/{locked_id}/lock")

    assert (await resumed_session(client, token))["conversation"] is None, "a reload shows no closed conversation"
    assert await ok(client, token, "GET", "/messages") == []
    retried = await ok(client, token, "POST", "/messages", json={"uuid": "a", "text": "First problem"})
    assert retried["id"] == first["id"], "a send retried across the lock is not posted again"

    second = await ok(client, token, "POST", "/messages", json={"uuid": "b", "text": "Another problem"})
    assert second["conversationId"] != locked_id
    assert (await resumed_session(client, token))["conversation"]["id"] == second["conversationId"]
    assert [m["body"] for m in await ok(client, token, "GET", "/messages")] == ["Another problem"]
    kept = await api.ok("GET", f"/conversation/{locked_id}/messages")
    assert [m["body"] for m in kept] == ["First problem"], "the locked conversation keeps its history for agents"
    refused = await api.call("POST", f"/conversation/{locked_id}/send-text-message", json={"uuid": "x", "text": "x"})
    assert refused.status_code == 423, "the External API still refuses a locked conversation"


async def test_a_lock_the_cache_has_not_heard_of_still_opens_a_new_conversation(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    """Another process locked it and its word has not arrived: the write refuses, and the message opens one."""
    token, session = await anonymous_visitor(api, client)
    first = await ok(client, token, "POST", "/messages", json={"uuid": "a", "text": "Hello"})
    await services.db.write(
        lambda tx: conversation_repo.update_conversation(tx.conn, first["conversationId"], locked=True)
    )
    end_user_id = session["endUser"]["id"]
    stale = ConversationRef(first["conversationId"], api.workspace_id, end_user_id)

    async def remembered() -> ConversationRef:
        return stale

    services.current_conversations.forget(end_user_id)
    assert await services.current_conversations.get(end_user_id, remembered) == stale
    second = await ok(client, token, "POST", "/messages", json={"uuid": "b", "text": "Still there?"})
    assert second["conversationId"] != first["conversationId"]
    assert (await resumed_session(client, token))["conversation"]["id"] == second["conversationId"]


async def test_the_widget_session_names_the_newest_open_conversation(api: Api, client: httpx.AsyncClient) -> None:
    older = await api.conversation(name="Ann")
    token = older["endUser"]["websocketToken"]
    newer = await api.ok("POST", "/conversations", json={"endUserId": older["endUser"]["id"]})
    assert (await resumed_session(client, token))["conversation"]["id"] == newer["id"]
    await api.ok("POST", f"/conversation/{newer['id']}/lock")
    assert (await resumed_session(client, token))["conversation"]["id"] == older["id"]
    await api.ok("POST", f"/conversation/{older['id']}/lock")
    assert (await resumed_session(client, token))["conversation"] is None
    await api.ok("POST", f"/conversation/{newer['id']}/unlock")
    assert (await resumed_session(client, token))["conversation"]["id"] == newer["id"]
    assert await ok(client, token, "GET", "/messages") == []


async def test_each_anonymous_visitor_gets_a_friendly_name_that_everyone_sees(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    sessions = [await anonymous_visitor(api, client) for _ in range(20)]
    names = [session["endUser"]["name"] for _, session in sessions]
    assert len(set(names)) == 20, names
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+( [0-9]+)?", name) for name in names), names

    token, session = sessions[-1]
    name, end_user_id = session["endUser"]["name"], session["endUser"]["id"]
    await ok(client, token, "POST", "/messages", json={"uuid": "hi", "text": "Hi"})
    assert (await api.ok("GET", f"/end-users/{end_user_id}"))["name"] == name, "the External API"
    agent = await api.agent()
    agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    console = await client.get("/api/agent/v1/conversations", headers={"Authorization": f"Bearer {agent_token}"})
    assert console.json()["data"][0]["conversation"]["endUser"]["name"] == name, "the console"
    stored = await services.db.read(event_repo.stream_events_between, api.workspace_id, 0, None, 1000)
    [created] = [json.loads(e.payload) for e in stored if e.name == "conversation.created"]
    assert created["data"]["endUser"]["name"] == name, "the webhook body (the stored event)"


async def test_an_end_user_the_integrator_created_keeps_the_name_it_was_given(
    api: Api, client: httpx.AsyncClient
) -> None:
    for given in ({}, {"name": "Ann"}):
        end_user = await api.ok("POST", "/end-users", json=given)
        assert end_user["name"] == given.get("name")
        resumed = await resumed_session(client, end_user["websocketToken"])
        assert resumed["endUser"]["name"] == given.get("name")
