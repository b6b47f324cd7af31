"""The widget's outbox: what a visitor writes without a connection is kept (in localStorage, so a reload loses
nothing), sent by itself once the connection is back, with the panel closed or on the next page load, exactly
once per message, and shown in the order the server stored it."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.support.waiting import eventually, polled
from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import Team, message, open_visitor, team, visitor_id, widget, write

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAITING = "Waiting for the connection"


async def outbox_texts(page: Page, server: WebServer) -> list[str]:
    stored = await page.evaluate("key => localStorage.getItem(key)", f"parley:{server.site_key}:outbox")
    return [entry["text"] for entry in json.loads(stored or "[]")]


async def outbox_is_empty(page: Page, server: WebServer) -> None:
    assert await outbox_texts(page, server) == []


async def stored_texts(the_team: Team, end_user_id: str, expected: list[str]) -> list[str]:
    """The conversation's texts as the server has them, once they end with `expected`."""

    async def texts() -> list[str]:
        conversation = (await the_team.conversations_of(end_user_id))[0]
        return [m["body"] for m in await the_team.history(conversation["id"]) if m["type"] == "text"]

    return await polled(texts, lambda found: found[-len(expected) :] == expected, what=f"the server storing {expected}")


async def fail_sends(context: BrowserContext, *, after_storing: bool = False) -> None:
    """From now on the widget's text sends fail as a lost connection does: before reaching the server, or (with
    `after_storing`) after the server stored the message but before its answer came back."""

    async def handle(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        if after_storing:
            await route.fetch()
        await route.abort("internetdisconnected")

    await context.route("**/api/widget/v1/messages", handle)


async def test_messages_written_offline_are_sent_when_the_connection_returns_with_the_panel_closed(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    context = page.context
    await write(page, "Before the tunnel")
    await expect(message(page, "Before the tunnel")).to_contain_text("Delivered")
    end_user = await visitor_id(page, server)

    await context.set_offline(True)
    await expect(widget(page).locator(".banner")).to_contain_text("You're offline")
    await write(page, "Written in the tunnel")
    await write(page, "Still in the tunnel")
    await expect(message(page, "Written in the tunnel")).to_contain_text(WAITING)
    await expect(message(page, "Still in the tunnel")).not_to_contain_text("Not sent")
    assert await outbox_texts(page, server) == ["Written in the tunnel", "Still in the tunnel"]

    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(end_user))[0]
        await the_team.act(conversation["id"], "messages", {"uuid": "meanwhile", "text": "Answered meanwhile"})
        await page.get_by_role("dialog").get_by_role("button", name="Close chat").click()
        await context.set_offline(False)
        expected = ["Answered meanwhile", "Written in the tunnel", "Still in the tunnel"]
        await stored_texts(the_team, end_user, expected)  # the panel stayed closed
        history = await the_team.history(conversation["id"])

    await page.get_by_role("button", name="Open chat").click()
    await expect(message(page, "Still in the tunnel")).to_contain_text("Delivered")
    shown = widget(page).locator("[data-message-id]")
    await expect(shown).to_have_count(len(history))
    assert await shown.evaluate_all("els => els.map((el) => el.dataset.messageId)") == [m["id"] for m in history]
    assert await outbox_texts(page, server) == []


async def test_unsent_messages_survive_a_reload_and_go_on_the_next_page_load_without_opening_the_panel(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    await write(page, "Hello there")
    await expect(message(page, "Hello there")).to_contain_text("Delivered")
    end_user = await visitor_id(page, server)

    await fail_sends(page.context)
    await write(page, "Kept across reloads")
    await expect(message(page, "Kept across reloads")).to_contain_text(WAITING)
    await page.reload()
    await page.get_by_role("button", name="Open chat").click()
    await expect(message(page, "Kept across reloads")).to_contain_text(WAITING)
    assert await outbox_texts(page, server) == ["Kept across reloads"]

    # The next page load sends it with the panel closed; the server stores it but its answer is lost, so the widget
    # cannot know and sends it again on the load after: the uuid makes that repeat store nothing.
    await page.context.unroute("**/api/widget/v1/messages")
    await fail_sends(page.context, after_storing=True)
    lost_answer = page.expect_event("requestfailed", lambda request: request.method == "POST")
    async with lost_answer:
        await page.reload()
    async with team(server) as the_team:
        await stored_texts(the_team, end_user, ["Hello there", "Kept across reloads"])
        assert await outbox_texts(page, server) == ["Kept across reloads"]
        await page.context.unroute_all(behavior="ignoreErrors")  # a resend in flight is cut short by the reload
        await page.reload()
        await eventually(lambda: outbox_is_empty(page, server), what="the outbox emptied")
        texts = await stored_texts(the_team, end_user, ["Hello there", "Kept across reloads"])
    assert texts.count("Kept across reloads") == 1, "the repeat was stored twice"
