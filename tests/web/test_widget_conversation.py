"""When a visitor's conversation exists: not when they open the widget, but with their first message; and after an
agent locks it, their next message starts a new one, also after a reload."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import (
    message,
    message_box,
    open_visitor,
    team,
    visitor_id,
    widget,
    widget_settings,
    write,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

GREETING = "Hello! Ask us anything about your order."


async def test_opening_the_widget_creates_nothing_until_the_visitor_writes(
    server: WebServer, new_context: NewContext
) -> None:
    async with widget_settings(server, greeting=GREETING), team(server) as the_team:
        page = await open_visitor(new_context, server)
        await expect(widget(page).get_by_text(GREETING)).to_be_visible()  # the greeting, from the settings
        end_user = await visitor_id(page, server)
        await page.reload()
        await page.get_by_role("button", name="Open chat").click()
        await expect(message_box(page)).to_be_enabled()
        assert await the_team.conversations_of(end_user) == [], "opening the widget made a conversation"

        await write(page, "Where is my parcel?")
        await expect(message(page, "Where is my parcel?")).to_contain_text("Delivered")
        [conversation] = await the_team.conversations_of(end_user)
        history = await the_team.history(conversation["id"])
        assert [(m["bot"] is not None, m["body"]) for m in history] == [
            (True, GREETING),
            (False, "Where is my parcel?"),
        ]
        shown = widget(page).locator("[data-message-id]")
        await expect(shown).to_have_count(2)
        assert await shown.evaluate_all("els => els.map((el) => el.dataset.messageId)") == [m["id"] for m in history]


async def test_after_a_lock_the_next_message_starts_a_new_conversation_also_after_a_reload(
    server: WebServer, new_context: NewContext
) -> None:
    async with team(server) as the_team:
        page = await open_visitor(new_context, server)
        await write(page, "My first question")
        await expect(message(page, "My first question")).to_contain_text("Delivered")
        end_user = await visitor_id(page, server)
        [first] = await the_team.conversations_of(end_user)

        await the_team.act(first["id"], "lock")
        closed = widget(page).locator(".locked")
        await expect(closed).to_contain_text("This conversation was closed")
        await expect(message_box(page)).to_be_enabled()
        await write(page, "One more thing")
        await expect(message(page, "One more thing")).to_contain_text("Delivered")
        await expect(closed).to_be_hidden()
        await expect(message(page, "My first question")).to_have_count(0)  # the closed conversation made way
        conversations = await the_team.conversations_of(end_user)
        assert len(conversations) == 2
        [second] = [c for c in conversations if c["id"] != first["id"]]
        assert [m["body"] for m in await the_team.history(second["id"])] == ["One more thing"]
        assert [m["body"] for m in await the_team.history(first["id"])] == ["My first question"]

        # Locked again, and the visitor comes back later: the widget is open for a new conversation.
        await the_team.act(second["id"], "lock")
        await expect(closed).to_be_visible()
        await page.reload()
        await page.get_by_role("button", name="Open chat").click()
        await expect(message_box(page)).to_be_enabled()
        await expect(closed).to_be_hidden()
        await write(page, "Back after a reload")
        await expect(message(page, "Back after a reload")).to_contain_text("Delivered")
        assert len(await the_team.conversations_of(end_user)) == 3
