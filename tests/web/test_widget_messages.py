"""What a message shows in the widget: links that open safely, text laid out in its own direction, a stable id,
and status updates that change the message in place (so a screen reader does not read it out again)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import message, open_visitor, team, visitor_id, widget, write

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_web_addresses_become_safe_links_and_html_stays_text(server: WebServer, new_context: NewContext) -> None:
    page = await open_visitor(new_context, server)
    await write(
        page, "My order: https://shop.example/orders/42?x=1. <b>not bold</b> <a href='https://evil.example'>x</a>"
    )
    sent = message(page, "My order")
    await expect(sent).to_contain_text("Delivered")
    link = sent.get_by_role("link", name="https://shop.example/orders/42?x=1")
    await expect(link).to_have_attribute("href", "https://shop.example/orders/42?x=1")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(sent).to_contain_text("<b>not bold</b> <a href='https://evil.example'>x</a>")
    await expect(sent.locator("b")).to_have_count(0)
    await expect(sent.get_by_role("link")).to_have_count(2)  # the order, and the address inside the quoted markup

    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        await the_team.act(
            conversation["id"], "messages", {"uuid": "agent-link", "text": "See http://help.example/faq."}
        )
    answer = message(page, "See http://help.example/faq")
    await expect(answer.get_by_role("link", name="http://help.example/faq")).to_have_attribute(
        "href", "http://help.example/faq"
    )


async def test_every_message_carries_its_id_and_lays_out_in_its_own_direction(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    await write(page, "مرحبا، أحتاج مساعدة في طلبي")
    await write(page, "And in English")
    await expect(message(page, "And in English")).to_contain_text("Delivered")
    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        history = await the_team.history(conversation["id"])
    assert len(history) >= 2
    shown = widget(page).locator("[data-message-id]")
    await expect(shown).to_have_count(len(history))
    assert await shown.evaluate_all("els => els.map((el) => el.dataset.messageId)") == [m["id"] for m in history]

    arabic = message(page, "مرحبا").locator("[dir=auto]")
    assert await arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
    english = message(page, "And in English").locator("[dir=auto]")
    assert await english.evaluate("el => getComputedStyle(el).direction") == "ltr"


async def test_a_status_update_changes_the_message_in_place_without_announcing_it_again(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_visitor(new_context, server)
    await write(page, "Is my parcel on its way?")
    sent = message(page, "Is my parcel on its way?")
    await expect(sent).to_contain_text("Delivered")
    element = await sent.element_handle()
    assert element is not None

    async with team(server) as the_team:
        conversation = (await the_team.conversations_of(await visitor_id(page, server)))[0]
        newest = (await the_team.history(conversation["id"]))[-1]
        await the_team.act(conversation["id"], "read", {"until": newest["microseconds"]})
    await expect(sent).to_contain_text("Read")
    assert await element.evaluate("el => el.isConnected"), "the element was replaced, so it would be announced again"
    # The log announces additions only, and the status sits where no live region speaks for it.
    await expect(page.get_by_role("log", name="Messages")).to_have_attribute("aria-relevant", "additions")
    status_region = await sent.locator(".status").evaluate("el => el.closest('[aria-live]').getAttribute('aria-live')")
    assert status_region == "off"
