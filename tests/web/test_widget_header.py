"""The widget's header and launcher: buttons whose names say what they do, and a promise that matches the bot's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import message, open_visitor, team, visitor_id, widget, widget_settings, write

pytestmark = pytest.mark.asyncio(loop_scope="module")

AWAY = "We're all away right now: leave a message and we'll write back tomorrow."


async def test_the_two_buttons_that_close_the_panel_have_distinct_names(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    await expect(page.get_by_role("button", name="Close chat", exact=True)).to_have_count(1)
    await expect(page.get_by_role("button", name="Minimize chat", exact=True)).to_have_count(1)
    await page.get_by_role("button", name="Minimize chat").click()
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await page.get_by_role("button", name="Open chat").click()
    await page.get_by_role("button", name="Close chat").click()
    await expect(page.get_by_role("dialog")).to_be_hidden()


@pytest_asyncio.fixture(loop_scope="module")
async def away_message(server: WebServer) -> AsyncIterator[str]:
    """The workspace's away message, for one test: the bot posts it while no agent is online."""
    async with widget_settings(server, awayMessage=AWAY):
        yield AWAY


async def test_an_unassigned_chat_does_not_promise_a_reply_while_the_bot_says_the_team_is_away(
    server: WebServer, new_context: NewContext, away_message: str
) -> None:
    page = await open_visitor(new_context, server)
    presence = widget(page).locator("header .presence")
    # No console is open: nobody is online, and the widget's settings say so before the visitor writes.
    await expect(presence).to_have_text("We're away right now; leave a message and we'll answer soon")
    await write(page, "Is anyone there?")
    await expect(message(page, away_message)).to_be_visible()
    await expect(presence).not_to_contain_text("as soon as we can")
    await expect(presence).to_contain_text("away")

    # An agent who writes anyway is back: the promise holds again.
    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        await the_team.act(conversation["id"], "messages", {"uuid": "back", "text": "I'm here after all"})
    await expect(message(page, "I'm here after all")).to_be_visible()
    await expect(presence).to_have_text("We'll reply as soon as we can")


async def test_the_away_message_does_not_interrupt_an_agent_who_answers_while_away(
    server: WebServer, new_context: NewContext, away_message: str
) -> None:
    """Main posted it again after every visitor message that followed an agent's (110 away messages in 220)."""
    page = await open_visitor(new_context, server)
    await write(page, "Hello?")
    await expect(message(page, away_message)).to_be_visible()  # no console is open: nobody is online
    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        for turn in range(3):
            await the_team.act(conversation["id"], "messages", {"uuid": f"answer-{turn}", "text": f"Answer {turn}"})
            await expect(message(page, f"Answer {turn}")).to_be_visible()
            await write(page, f"Thanks {turn}")
            await expect(message(page, f"Thanks {turn}")).to_be_visible()
        said = [f"Thanks {turn}" for turn in range(3)]
        history = await polled(
            lambda: the_team.history(conversation["id"]),
            lambda found: all(text in [m["body"] for m in found] for text in said),
            what="the visitor's answers stored",
        )
    assert [m["body"] for m in history].count(away_message) == 1
    await expect(message(page, away_message)).to_have_count(1)
