"""The bot's greeting (when a conversation starts) and away message (the visitor writes, no agent online)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from parley.clock import now_microseconds
from parley.services import bot
from parley.services.context import Services
from parley.storage.repositories import events as event_repo
from tests.api.widget.test_reviews import widget
from tests.conftest import Api, connect_console


async def events_of(services: Services, workspace_id: str, conversation_id: str) -> list[dict[str, Any]]:
    found = await services.db.read(event_repo.events_after, workspace_id, [conversation_id], 0, 100)
    return [json.loads(e.payload) for e in found]


async def history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    return list(await api.ok("GET", f"/conversation/{conversation_id}/messages"))


async def test_the_greeting_opens_every_new_conversation(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    silent = await api.conversation()
    assert await history(api, silent["id"]) == [], "no greeting set: the bot stays silent"

    settings = await api.ok("PUT", "/widget-settings", json={"greeting": "Hello! How can we help?", "botName": "Bo"})
    conversation = await api.conversation()
    [greeting] = await history(api, conversation["id"])
    assert (greeting["type"], greeting["body"], greeting["bot"]["name"]) == ("text", "Hello! How can we help?", "Bo")
    assert greeting["endUser"] is None and greeting["agent"] is None
    names = [e["event"] for e in await events_of(services, api.workspace_id, conversation["id"])]
    assert names == ["conversation.created", "message.created"]

    session = await client.post("/api/widget/v1/session", json={"siteKey": settings["siteKey"]})
    token = session.json()["data"]["endUser"]["websocketToken"]
    assert (await widget(client, token, "GET", "/messages")).json()["data"] == [], "no greeting before they write"
    first = await widget(client, token, "POST", "/messages", json={"uuid": "hi", "text": "Hi"})
    visitor_history = await widget(client, token, "GET", "/messages")
    assert [m["body"] for m in visitor_history.json()["data"]] == ["Hello! How can we help?", "Hi"]
    resumed = await client.post("/api/widget/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert resumed.json()["data"]["conversation"]["id"] == first.json()["data"]["conversationId"]


async def visitor_says(api: Api, conversation_id: str, text: str) -> None:
    await api.ok("POST", f"/conversation/{conversation_id}/send-text-message", json={"uuid": text, "text": text})


async def bodies(api: Api, conversation_id: str) -> list[str]:
    return [m["body"] if m["bot"] is None else f"bot: {m['body']}" for m in await history(api, conversation_id)]


def visitor_writes_later(monkeypatch: pytest.MonkeyPatch, **later: float) -> None:
    """The bot's clock moved on by `later` (hours=, minutes=): how long after the messages stored so far the
    visitor's next one comes."""
    shift = int(timedelta(**later).total_seconds() * 1_000_000)
    monkeypatch.setattr(bot, "now_microseconds", lambda: now_microseconds() + shift)


async def test_the_away_message_is_sent_once_per_conversation_within_the_repeat_window(
    api: Api, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})
    await api.agent()  # offline
    conversation = await api.conversation()
    cid = conversation["id"]
    token = conversation["endUser"]["websocketToken"]

    await visitor_says(api, cid, "one")
    sent = await widget(client, token, "POST", "/messages", json={"uuid": "two", "text": "two"})
    assert sent.status_code == 200 and sent.json()["data"]["body"] == "two", "the visitor's answer is their message"
    await visitor_says(api, cid, "three")
    assert await bodies(api, cid) == ["one", "bot: We are away", "two", "three"], "once, not after every message"

    visitor_writes_later(monkeypatch, hours=23)
    await visitor_says(api, cid, "four")
    visitor_writes_later(monkeypatch, hours=25)
    await visitor_says(api, cid, "five")
    await visitor_says(api, cid, "six")
    assert (await bodies(api, cid))[-4:] == ["four", "five", "bot: We are away", "six"], "again after 24 hours"

    other = await api.conversation()
    await visitor_says(api, other["id"], "hello")
    assert await bodies(api, other["id"]) == ["hello", "bot: We are away"], "each conversation has its own"


async def test_no_away_message_where_an_agent_wrote_in_the_last_half_hour(
    api: Api, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent answering while marked away is not interrupted by the bot."""
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away", "awayRepeatHours": 1})
    agent = await api.agent()  # offline
    cid = (await api.conversation())["id"]
    agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    reply = await client.post(
        f"/api/agent/v1/conversations/{cid}/messages",
        json={"uuid": "r", "text": "I'm here"},
        headers={"Authorization": f"Bearer {agent_token}"},
    )
    assert reply.status_code == 200, reply.text
    await visitor_says(api, cid, "great")
    visitor_writes_later(monkeypatch, minutes=29)
    await visitor_says(api, cid, "still there?")
    assert await bodies(api, cid) == ["I'm here", "great", "still there?"]

    visitor_writes_later(monkeypatch, minutes=31)
    await visitor_says(api, cid, "hello?")
    assert (await bodies(api, cid))[-2:] == ["hello?", "bot: We are away"]


async def test_no_away_message_while_an_agent_is_online_or_none_is_set(api: Api, services: Services) -> None:
    agent = await api.agent()
    await connect_console(services, api.workspace_id, agent["id"])
    conversation = await api.conversation()
    await visitor_says(api, conversation["id"], "hi")
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})
    await visitor_says(api, conversation["id"], "anyone?")
    assert await bodies(api, conversation["id"]) == ["hi", "anyone?"]

    await api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "away"})  # seen at once: no stale cache
    await visitor_says(api, conversation["id"], "hello?")
    assert (await bodies(api, conversation["id"]))[-2:] == ["hello?", "bot: We are away"]


async def test_concurrent_visitor_messages_get_one_away_message(api: Api) -> None:
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})
    conversation = await api.conversation()
    await asyncio.gather(*(visitor_says(api, conversation["id"], f"m{i}") for i in range(10)))
    assert [b for b in await bodies(api, conversation["id"]) if b.startswith("bot:")] == ["bot: We are away"]
