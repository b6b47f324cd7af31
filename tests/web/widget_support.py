"""What the widget's browser tests share: a visitor's page, the visitor behind it, and the team acting through
the APIs (the External API for the workspace's side, the Agent API as the demo agent).

Elements are found as a person or assistive technology finds them: by role and name, and by the stable hooks
`data-message-id` and `data-conversation-id`, never by layout.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.async_api import Locator, Page

from tests.web.conftest import NewContext, WebServer


def widget(page: Page) -> Locator:
    return page.locator("parley-chat")


def message(page: Page, text: str) -> Locator:
    """The message element (the one carrying `data-message-id` once stored) whose text contains `text`."""
    return widget(page).locator(".msg", has_text=text)


def message_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Message")


async def open_visitor(new_context: NewContext, server: WebServer, width: int = 1280, height: int = 800) -> Page:
    """A fresh visitor on the demo page, with the widget opened and ready to take a message."""
    page = await (await new_context(width, height)).new_page()
    await page.goto(server.demo_url)
    await page.get_by_role("button", name="Open chat").click()
    await message_box(page).wait_for()
    return page


async def write(page: Page, text: str) -> None:
    box = message_box(page)
    await box.fill(text)
    await box.press("Enter")


async def visitor_id(page: Page, server: WebServer) -> str:
    """The end user the page chats as: the subject of the token the widget keeps in localStorage."""
    token = await page.evaluate("key => localStorage.getItem(key)", f"parley:{server.site_key}")
    assert token, "the widget has no visitor token yet"
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


@dataclass
class Team:
    """The workspace's side: the External API (`api`) and the demo agent's Agent API (`agent`)."""

    api: httpx.AsyncClient
    agent: httpx.AsyncClient

    async def conversations_of(self, end_user_id: str) -> list[dict[str, Any]]:
        response = await self.api.get("/conversations", params={"endUserId": end_user_id})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["data"]
        return found

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        response = await self.api.get(f"/conversation/{conversation_id}/messages", params={"limit": 100})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["data"]
        return found

    async def act(self, conversation_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """An agent's action on a conversation (`messages`, `assign`, `lock`, `request-review`...): its data."""
        response = await self.agent.post(f"/conversations/{conversation_id}/{action}", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@asynccontextmanager
async def team(server: WebServer) -> AsyncIterator[Team]:
    async with (
        httpx.AsyncClient(
            base_url=f"{server.base}/api/external/v1", headers={"Authorization": server.api_token}
        ) as api,
        httpx.AsyncClient(
            base_url=f"{server.base}/api/agent/v1", headers={"Authorization": f"Bearer {server.agent_token}"}
        ) as agent,
    ):
        yield Team(api, agent)


@asynccontextmanager
async def widget_settings(server: WebServer, **settings: Any) -> AsyncIterator[None]:
    """The workspace's widget settings changed for the block (camelCase keys), then put back as they were."""
    async with team(server) as the_team:
        before = (await the_team.api.get("/widget-settings")).json()["data"]
        response = await the_team.api.put("/widget-settings", json=settings)
        assert response.status_code == 200, response.text
        try:
            yield
        finally:
            await the_team.api.put("/widget-settings", json={key: before[key] for key in settings})
