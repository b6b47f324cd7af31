"""What the console's browser tests share: the agent's console page, and visitors and history made through the APIs.

Elements are found as a person or assistive technology finds them: by role and name, and by the stable hooks
`data-conversation-id` and `data-message-id`, never by layout.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect

from tests.web.conftest import NewContext, WebServer

SENDS_AT_ONCE = 32  # concurrent sends when filling a history: the server's writer commits them in batches


async def open_console(new_context: NewContext, server: WebServer, width: int = 1280, height: int = 800) -> Page:
    """The demo agent's console in a fresh profile, signed in from the link `parley demo` prints, and live."""
    page = await (await new_context(width, height)).new_page()
    await page.goto(server.console_url)
    await expect(page.locator("#conn")).to_have_text("Live")
    return page


def row(page: Page, conversation_id: str) -> Locator:
    return page.locator(f'[data-conversation-id="{conversation_id}"]').first


def listed(page: Page, conversation_id: str) -> Locator:
    """The conversation's row in the list shown (absent when the chosen view does not hold it)."""
    return page.locator(f'.conversations [data-conversation-id="{conversation_id}"]')


def view(page: Page, view_id: str) -> Locator:
    """A view's button ("mine", "unassigned", "open", "pending", "snoozed", "resolved"), its count inside."""
    return page.locator(f'.views [data-view="{view_id}"]')


async def count_of(page: Page, view_id: str) -> int:
    """The count a view shows, once the console has read the counts."""
    count = view(page, view_id).locator(".count")
    await expect(count).to_have_text(re.compile(r"^\d+$"))
    return int(await count.inner_text())


def timeline_event(page: Page, text: str) -> Locator:
    """A line of the open conversation's timeline saying who did what."""
    return page.locator("#messages .event", has_text=text)


def message(page: Page, message_id: str) -> Locator:
    return page.locator(f'#messages [data-message-id="{message_id}"]')


def reply_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Reply to")


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


@dataclass
class Visitor:
    """An anonymous visitor of the demo page, writing through the widget API as the widget does."""

    http: httpx.AsyncClient
    end_user: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.end_user['websocketToken']}"}

    async def says(self, text: str) -> dict[str, Any]:
        """Their message, stored (the first one starts their conversation)."""
        sent: dict[str, Any] = data(
            await self.http.post(
                "/api/widget/v1/messages", json={"uuid": text[:100], "text": text}, headers=self.headers
            )
        )
        return sent

    async def reads(self, until: int) -> None:
        data(await self.http.post("/api/widget/v1/read", json={"until": until}, headers=self.headers))

    async def rates(self, review_id: str, mark: int, text: str) -> None:
        """Rates the review and confirms the rating, as the widget's card does."""
        data(
            await self.http.post(
                f"/api/widget/v1/reviews/{review_id}", json={"mark": mark, "text": text}, headers=self.headers
            )
        )
        data(await self.http.post(f"/api/widget/v1/reviews/{review_id}/confirm", headers=self.headers))


async def new_visitor(http: httpx.AsyncClient, server: WebServer) -> Visitor:
    session = data(await http.post("/api/widget/v1/session", json={"siteKey": server.site_key}))
    return Visitor(http, session["endUser"])


class Workspace:
    """The demo workspace's side through the External API: end users, conversations and their history."""

    def __init__(self, http: httpx.AsyncClient, server: WebServer) -> None:
        self.http = http
        self.headers = {"Authorization": server.api_token}

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return data(await self.http.request(method, f"/api/external/v1{path}", json=body, headers=self.headers))

    async def conversation(self, **end_user: Any) -> str:
        """A new conversation of a new end user (`name`, `email`...): its id."""
        person = await self.call("POST", "/end-users", end_user)
        conversation: dict[str, Any] = await self.call("POST", "/conversations", {"endUserId": person["id"]})
        return str(conversation["id"])

    async def visitor_says(self, conversation_id: str, text: str) -> dict[str, Any]:
        said: dict[str, Any] = await self.call(
            "POST", f"/conversation/{conversation_id}/send-text-message", {"uuid": text[:100], "text": text}
        )
        return said

    async def visitor_says_each(self, conversation_id: str, texts: list[str]) -> None:
        """Many messages, a batch of concurrent sends at a time: batches in order, each batch in the order stored."""
        for start in range(0, len(texts), SENDS_AT_ONCE):
            batch = texts[start : start + SENDS_AT_ONCE]
            await asyncio.gather(*(self.visitor_says(conversation_id, text) for text in batch))
