"""The rating card in a long conversation: picking a star never scrolls the panel (the header and its close button
stay where they are), and once the rating is sent the focus lands on its thanks, not on the page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import message, open_visitor, team, visitor_id, widget, write

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_rating_in_a_long_conversation_keeps_the_header_in_place_and_hands_focus_to_the_thanks(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    await write(page, "Thanks for all the help so far")
    await expect(message(page, "Thanks for all the help so far")).to_contain_text("Delivered")
    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        await the_team.act(conversation["id"], "assign")
        for n in range(30):
            await the_team.act(conversation["id"], "messages", {"uuid": f"long-{n}", "text": f"Answer number {n}"})
        await expect(message(page, "Answer number 29")).to_be_visible()
        await the_team.act(conversation["id"], "request-review")

    card = page.get_by_role("form", name="Rate your conversation with Demo Agent")
    await expect(card).to_be_visible()
    close = page.get_by_role("dialog").get_by_role("button", name="Close chat")
    before = await close.bounding_box()
    await card.locator("label", has_text="4 stars").click()
    await expect(card.get_by_role("radio", name="4 stars")).to_be_checked()
    assert await close.bounding_box() == before, "the header moved"
    assert await widget(page).locator(".panel").evaluate("el => el.scrollTop") == 0

    await card.get_by_role("button", name="Send rating").click()
    thanks = page.get_by_role("group", name="Your rating")
    await expect(thanks).to_contain_text("Thanks for your feedback!")
    await expect(thanks).to_be_focused()
    assert await close.bounding_box() == before
