"""The console's reply box: its note mode, which cannot be mistaken for a reply and never reaches the visitor, and the
canned responses `/` offers."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, open_console, reply_box, row
from tests.web.widget_support import message as widget_message
from tests.web.widget_support import open_visitor, write

pytestmark = pytest.mark.asyncio(loop_scope="module")

REFUND = "Your refund is on its way: allow 5 working days."


def note_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Internal note about")


async def colours(locator: Locator) -> list[str]:
    found: list[str] = await locator.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderTopColor]"
    )
    return found


async def test_a_note_is_unmistakable_and_never_reaches_the_visitor(server: WebServer, new_context: NewContext) -> None:
    visitor = await open_visitor(new_context, server)
    await write(visitor, "Hello, I was charged twice")
    agent = await open_console(new_context, server)
    await agent.locator(".row", has_text="Hello, I was charged twice").click()
    composer = agent.locator("form.composer")
    reply_look = await colours(composer)

    # Note mode: another colour, its own words, its own button.
    await agent.get_by_role("radio", name="Internal note").check()
    # Drawn at the next animation frame: polled, not read at once.
    await polled(lambda: colours(composer), lambda now: now != reply_look, what="the note's own colours")
    await expect(composer).to_contain_text("Only your team sees notes: the visitor never does.")
    await expect(agent.get_by_role("button", name="Send", exact=True)).to_have_count(0)
    await note_box(agent).fill("Checked Stripe: they really paid twice, refund the second one")
    await note_box(agent).press("Enter")
    note = agent.locator("#messages .msg.note", has_text="they really paid twice")
    await expect(note).to_contain_text("Note by Demo Agent")
    await expect(note).to_contain_text("Only the team sees this")
    await expect(note_box(agent)).to_have_value("")
    await expect(note_box(agent)).to_be_visible()  # still in note mode: the next note is a note too

    # A note's draft stays a note: switching to the reply shows the reply's own (empty) draft.
    await note_box(agent).fill("Half a note")
    await agent.get_by_role("radio", name="Reply").check()
    await expect(reply_box(agent)).to_have_value("")
    await reply_box(agent).fill("Sorry about that! The second charge is refunded.")
    await reply_box(agent).press("Enter")
    await expect(widget_message(visitor, "The second charge is refunded")).to_be_visible()
    await agent.get_by_role("radio", name="Internal note").check()
    await expect(note_box(agent)).to_have_value("Half a note")

    # The visitor's widget never showed the note, live or after a reload (the reply, written after it, did arrive).
    await expect(widget_message(visitor, "paid twice")).to_have_count(0)
    await expect(widget_message(visitor, "Half a note")).to_have_count(0)
    await visitor.reload()
    await visitor.get_by_role("button", name="Open chat").click()
    await expect(widget_message(visitor, "The second charge is refunded")).to_be_visible()
    await expect(widget_message(visitor, "paid twice")).to_have_count(0)

    # The row's preview says a note is a note.
    await agent.get_by_role("radio", name="Internal note").check()
    await note_box(agent).fill("Refund done")
    await note_box(agent).press("Enter")
    conversation = await agent.locator("section.thread").get_attribute("data-conversation-id")
    assert conversation
    await expect(row(agent, conversation).locator(".preview")).to_have_text("Note by Demo Agent: Refund done")


async def test_a_locked_conversation_takes_notes_but_not_replies(server: WebServer, new_context: NewContext) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Lotte Locked")
        await workspace.visitor_says(conversation, "Thanks, bye")
        await workspace.call("POST", f"/conversation/{conversation}/lock")
        page = await open_console(new_context, server)
        await row(page, conversation).click()
        await expect(reply_box(page)).to_be_disabled()
        await page.get_by_role("radio", name="Internal note").check()
        await expect(note_box(page)).to_be_enabled()
        await note_box(page).fill("Closed on request: no follow-up needed")
        await note_box(page).press("Enter")
        await expect(page.locator("#messages .msg.note")).to_contain_text("Only the team sees this")
        history = await workspace.call("GET", f"/conversation/{conversation}/messages")
        assert [(m["type"], m["body"]) for m in history][-1] == ("note", "Closed on request: no follow-up needed")


async def test_slash_offers_canned_responses_by_shortcut_and_by_text_inserted_for_editing(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        for shortcut, text in [
            ("refund", REFUND),
            ("hello", "Hello! How can I help you today?"),
            ("thanks", "Thanks for your patience while we look into it."),
        ]:
            await workspace.call("POST", "/canned-responses", {"shortcut": shortcut, "text": text})
        conversation = await workspace.conversation(name="Carla Canned")
        await workspace.visitor_says(conversation, "Where is my refund?")
        page = await open_console(new_context, server)
        await row(page, conversation).click()
        box = reply_box(page)
        offer = page.get_by_role("listbox", name="Canned responses")

        # By shortcut: `/ref` offers /refund; Enter puts its text in the box, to be edited, not sent.
        await box.press_sequentially("Hi Carla! /ref")
        await expect(offer.get_by_role("option")).to_have_count(1)
        await expect(offer.get_by_role("option").first).to_contain_text("/refund")
        await expect(offer.get_by_role("option").first).to_have_attribute("aria-selected", "true")
        await box.press("Enter")
        await expect(offer).to_have_count(0)
        await expect(box).to_have_value(f"Hi Carla! {REFUND}")
        await box.press_sequentially(" Sorry for the wait.")
        await box.press("Enter")
        sent = page.locator("#messages .msg.agent", has_text="Sorry for the wait.")
        await expect(sent).to_contain_text(f"Hi Carla! {REFUND} Sorry for the wait.")

        # By text: `/patience` finds /thanks; arrows choose among several; Escape closes the offer, keeping the text.
        await box.press_sequentially("/patience")
        await expect(offer.get_by_role("option")).to_have_text([re.compile(r"^/thanks")])
        await box.fill("")
        await box.press_sequentially("/")
        await expect(offer.get_by_role("option")).to_have_count(3)
        await box.press("ArrowDown")
        await expect(offer.get_by_role("option", selected=True)).to_contain_text("/refund")
        await box.press("Escape")
        await expect(offer).to_have_count(0)
        await expect(box).to_have_value("/")
        await expect(box).to_be_focused()

        # A response added after the console opened is offered too.
        await workspace.call("POST", "/canned-responses", {"shortcut": "later", "text": "Added while you worked."})
        await box.fill("")
        await box.press_sequentially("/lat")
        await expect(offer.get_by_role("option")).to_have_text([re.compile(r"^/later")])
        await offer.get_by_role("option").click()
        await expect(box).to_have_value("Added while you worked.")
