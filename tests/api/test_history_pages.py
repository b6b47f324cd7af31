"""Opening a conversation at its end: the widget and the console read the newest page first, then older ones.

Both surfaces read through one storage query, so one test walks both, the way each client scrolls up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Api

NEWEST = 9007199254740991  # the largest exact integer in JavaScript: what a client sends to read the newest page
Reader = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


async def history_reader(api: Api, surface: str, conversation: dict[str, Any]) -> Reader:
    """GET of the conversation's history with the given query, as the visitor's widget or an agent's console."""
    if surface == "widget":
        path = "/api/widget/v1/messages"
        token = conversation["endUser"]["websocketToken"]
    else:
        path = f"/api/agent/v1/conversations/{conversation['id']}/messages"
        agent = await api.agent()
        token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]

    async def read(query: dict[str, Any]) -> httpx.Response:
        return await api.client.get(path, params=query, headers={"Authorization": f"Bearer {token}"})

    return read


async def page_of(read: Reader, **query: Any) -> list[dict[str, Any]]:
    response = await read(query)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


@pytest.mark.parametrize("surface", ["widget", "agent"])
async def test_the_newest_page_comes_first_then_older_pages_each_ascending(api: Api, surface: str) -> None:
    conversation = await api.conversation(name="Ann")
    texts = [f"message {n}" for n in range(1, 8)]
    for n, text in enumerate(texts):
        send = {"uuid": f"u{n}", "text": text}
        await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json=send)
    read = await history_reader(api, surface, conversation)

    pages: list[list[str]] = []
    cursor = NEWEST
    for _ in range(4):  # scrolling up until the page is empty
        page = await page_of(read, before=cursor, limit=3)
        pages.append([m["body"] for m in page])
        cursor = page[0]["microseconds"] if page else cursor
    assert pages == [texts[4:7], texts[1:4], texts[0:1], []]

    oldest_first = await page_of(read, after=0, limit=3)
    assert [m["body"] for m in oldest_first] == texts[:3], "without before, history still reads forward"


@pytest.mark.parametrize("surface", ["widget", "agent"])
async def test_after_and_before_together_are_refused(api: Api, surface: str) -> None:
    read = await history_reader(api, surface, await api.conversation(name="Ann"))
    response = await read({"after": 0, "before": NEWEST})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "status": 422,
        "error": {"code": "validation_error", "message": "Send after or before, not both."},
    }
