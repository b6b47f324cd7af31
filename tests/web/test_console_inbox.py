"""The console as the team's inbox: views with live counts, resolving and reopening, snoozing and waking, labels and
the label filter, the keyboard, and the timeline that says who did what."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.web.conftest import NewContext, WebServer, screenshot_path
from tests.web.console_support import (
    Workspace,
    count_of,
    listed,
    new_visitor,
    open_console,
    reply_box,
    row,
    timeline_event,
    view,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAKE_SECONDS = 2  # a snooze set this far ahead, so that the test sees it end


def status(page: Page) -> Locator:
    """The open conversation's status, as its header shows it."""
    return page.locator("#thread-status")


async def test_the_inbox_at_work(server: WebServer, new_context: NewContext, tmp_path: Path) -> None:
    """A morning's inbox, as the README's screenshot shows it: a conversation taken, labelled and answered, beside
    the open conversations of the team (first in this module, so that the list holds only these)."""
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        inbox = {
            "Liam O'Brien": ("Could you send the invoice again? I can't find it.", [], "pending"),
            "Aiko Tanaka": ("Thanks, that fixed it!", [], "resolved"),
            "Priya Nair": ("The export button does nothing in Firefox.", ["bug"], None),
            "Tomás Ortega": ("Is the Pro plan billed monthly or yearly?", ["billing", "sales"], None),
            "Jonas Weber": ("Can I still change the delivery address?", ["shipping"], None),
            "Maya Lindqvist": ("Hi! My order #4821 hasn't arrived yet. Can you check?", ["shipping", "vip"], None),
        }
        ids = {}
        for name, (text, labels, state) in inbox.items():
            ids[name] = await workspace.conversation(name=name)
            await workspace.visitor_says(ids[name], text)
            if labels:
                await workspace.call("PUT", f"/conversation/{ids[name]}/labels", {"labels": labels})
            if state:
                await workspace.call("POST", f"/conversation/{ids[name]}/status", {"status": state})
        page = await open_console(new_context, server)

        maya = ids["Maya Lindqvist"]
        await row(page, maya).click()
        await page.get_by_role("button", name="Assign to me", exact=True).click()
        await expect(timeline_event(page, "You took the conversation")).to_be_visible()
        await reply_box(page).fill("Sorry for the wait, Maya! The carrier is on it: you'll have it by Friday.")
        await reply_box(page).press("Enter")
        await expect(page.locator("#messages .msg.agent")).to_contain_text("Delivered")

        for name in ("Maya Lindqvist", "Jonas Weber", "Tomás Ortega", "Priya Nair"):
            await expect(listed(page, ids[name])).to_be_visible()
        for name in ("Aiko Tanaka", "Liam O'Brien"):
            await expect(listed(page, ids[name])).to_have_count(0)
        await expect(listed(page, ids["Tomás Ortega"]).locator(".label")).to_have_text(["billing", "sales"])
        await expect(view(page, "open").locator(".count")).to_have_text("4")
        await expect(view(page, "mine").locator(".count")).to_have_text("1")
        await expect(page.get_by_role("alert")).to_be_hidden()  # no error said
        await reply_box(page).blur()
        await page.mouse.move(800, 300)  # nothing hovered
        await page.screenshot(path=screenshot_path("console.png", tmp_path))


async def test_resolving_moves_a_conversation_out_of_the_open_views_until_the_visitor_writes_again(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        visitor = await new_visitor(http, server)
        said = await visitor.says("My parcel came damaged")
        conversation = said["conversationId"]
        page = await open_console(new_context, server)
        open_before, resolved_before = await count_of(page, "open"), await count_of(page, "resolved")

        await row(page, conversation).click()
        await expect(status(page)).to_have_text("Open")
        await page.get_by_role("button", name="Resolve", exact=True).click()
        await expect(status(page)).to_have_text("Resolved")
        await expect(listed(page, conversation)).to_have_count(0)  # All open no longer holds it
        await expect(view(page, "open").locator(".count")).to_have_text(str(open_before - 1))
        await expect(view(page, "resolved").locator(".count")).to_have_text(str(resolved_before + 1))
        await expect(timeline_event(page, "You resolved the conversation")).to_be_visible()
        stored = await Workspace(http, server).call("GET", f"/conversation/{conversation}")
        assert stored["status"] == "resolved"

        await view(page, "resolved").click()
        await expect(listed(page, conversation)).to_be_visible()
        await view(page, "open").click()
        await expect(listed(page, conversation)).to_have_count(0)

        # The visitor writes again: the conversation is back in the open views at once, and the timeline says why.
        await visitor.says("Hello? It is still broken")
        await expect(listed(page, conversation)).to_be_visible()
        await expect(listed(page, conversation).locator(".preview")).to_have_text("Hello? It is still broken")
        await expect(status(page)).to_have_text("Open")
        await expect(view(page, "open").locator(".count")).to_have_text(str(open_before))
        await expect(view(page, "resolved").locator(".count")).to_have_text(str(resolved_before))
        name = visitor.end_user["name"]
        await expect(timeline_event(page, f"{name} wrote again: the conversation is open again")).to_be_visible()
        # the lines sit between the messages they came between
        timeline = page.locator("#messages > ol > li")
        await expect(timeline).to_contain_text(
            ["My parcel came damaged", "You resolved the conversation", "It is still broken", "wrote again"]
        )


async def test_a_conversation_reopened_while_another_view_is_shown_joins_the_open_views_from_outside_the_list(
    server: WebServer, new_context: NewContext
) -> None:
    """The console never held it (resolved before it opened): the visitor's message still brings it in at once."""
    async with httpx.AsyncClient(base_url=server.base) as http:
        visitor = await new_visitor(http, server)
        said = await visitor.says("First question, answered")
        conversation = said["conversationId"]
        await Workspace(http, server).call("POST", f"/conversation/{conversation}/status", {"status": "resolved"})
        page = await open_console(new_context, server)
        await view(page, "unassigned").click()
        await expect(listed(page, conversation)).to_have_count(0)

        await visitor.says("One more thing")
        await expect(listed(page, conversation)).to_be_visible()
        await expect(listed(page, conversation).locator(".preview")).to_have_text("One more thing")


async def test_snoozing_from_the_header_and_waking_by_itself(server: WebServer, new_context: NewContext) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Sunny Snooze")
        await workspace.visitor_says(conversation, "Please get back to me next week")
        page = await open_console(new_context, server)
        snoozed_before = await count_of(page, "snoozed")
        await row(page, conversation).click()

        # Tomorrow morning is nine o'clock tomorrow where the agent is.
        await page.get_by_role("button", name="Snooze…").click()
        choices = page.get_by_role("group", name="Snooze until")
        await expect(choices.get_by_role("button", name=re.compile("^1 hour"))).to_be_focused()
        await choices.get_by_role("button", name=re.compile("^Tomorrow morning")).click()
        await expect(status(page)).to_have_text(re.compile(r"^Snoozed until "))
        await expect(choices).to_have_count(0)
        stored = await workspace.call("GET", f"/conversation/{conversation}")
        assert stored["status"] == "snoozed"
        local = await page.evaluate(
            """until => {
                const at = new Date(until * 1000), tomorrow = new Date();
                tomorrow.setDate(tomorrow.getDate() + 1);
                return [at.toDateString() === tomorrow.toDateString(), at.getHours(), at.getMinutes()];
            }""",
            stored["snoozedUntil"],
        )
        assert local == [True, 9, 0]
        await expect(listed(page, conversation)).to_have_count(0)
        await expect(view(page, "snoozed").locator(".count")).to_have_text(str(snoozed_before + 1))
        await view(page, "snoozed").click()
        await expect(listed(page, conversation).locator(".tag", has_text="Snoozed until")).to_be_visible()

        # A date the agent picks.
        await page.keyboard.press("s")
        await page.get_by_label("A date").fill("2031-05-04T14:30")
        await page.get_by_role("button", name="Snooze", exact=True).click()
        await expect(status(page)).to_have_text(re.compile(r"^Snoozed until May 4, (14:30|02:30\sPM)$"))
        stored = await workspace.call("GET", f"/conversation/{conversation}")
        picked = await page.evaluate("() => new Date(2031, 4, 4, 14, 30).getTime() / 1000")
        assert stored["snoozedUntil"] == picked

        # Snoozed (by the API) until a moment from now, it wakes by itself: back in the open views, and said so.
        soon = int(time.time()) + WAKE_SECONDS
        snooze = {"status": "snoozed", "snoozedUntil": soon}
        await workspace.call("POST", f"/conversation/{conversation}/status", snooze)
        await view(page, "open").click()
        await expect(listed(page, conversation)).to_be_visible()
        await expect(status(page)).to_have_text("Open")
        await expect(timeline_event(page, "The snooze ended: the conversation is open again")).to_be_visible()
        await expect(timeline_event(page, "The API snoozed the conversation until")).to_be_visible()


async def test_labels_are_edited_in_the_conversation_shown_on_rows_and_filter_the_list(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        refund = await workspace.conversation(name="Rafael Refund")
        await workspace.visitor_says(refund, "I want my money back")
        other = await workspace.conversation(name="Olga Other")
        await workspace.visitor_says(other, "Just saying hi")
        page = await open_console(new_context, server)
        await row(page, refund).click()

        add = page.get_by_role("combobox", name="Add a label")  # it suggests the workspace's labels
        await add.fill("  Refunds ")
        await add.press("Enter")
        labels = page.get_by_role("list", name="Labels")
        removable = labels.get_by_role("button")
        await expect(removable).to_have_accessible_name("Remove the label refunds")
        await expect(add).to_have_value("")
        await page.keyboard.press("Escape")
        await page.keyboard.press("l")  # the keyboard's way to the same field
        await expect(add).to_be_focused()
        await add.fill("urgent")
        await add.press("Enter")
        await expect(removable).to_have_count(2)
        await expect(removable.last).to_have_accessible_name("Remove the label urgent")
        await expect(listed(page, refund).locator(".label")).to_have_text(["refunds", "urgent"])
        assert "Labels: refunds, urgent" in (await listed(page, refund).get_attribute("aria-label") or "")
        await expect(timeline_event(page, "You set the labels: refunds, urgent")).to_be_visible()

        # The filter offers the workspace's labels with their counts, and narrows the list to one.
        label_filter = page.get_by_role("combobox", name="Label", exact=True)
        await expect(label_filter.locator("option", has_text="refunds (1)")).to_have_count(1)
        await label_filter.select_option("refunds")
        await expect(listed(page, refund)).to_be_visible()
        await expect(listed(page, other)).to_have_count(0)
        await page.get_by_role("button", name="Remove the label refunds").click()
        await expect(listed(page, refund)).to_have_count(0)  # no longer carries it: out of the filtered list
        await label_filter.select_option("")
        await expect(listed(page, other)).to_be_visible()
        stored = await workspace.call("GET", f"/conversation/{refund}")
        assert stored["labels"] == ["urgent"]


async def test_keyboard_shortcuts_act_on_the_conversation_but_never_while_typing(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Kira Keys")
        await workspace.visitor_says(conversation, "Shortcuts, anyone?")
        page = await open_console(new_context, server)
        await row(page, conversation).click()
        box = reply_box(page)
        await expect(box).to_be_focused()

        # Typed into the reply box, the keys are text.
        await page.keyboard.type("e p s o 2 ?")
        await expect(box).to_have_value("e p s o 2 ?")
        await expect(status(page)).to_have_text("Open")
        await expect(page.get_by_role("dialog")).to_have_count(0)

        # Escape leaves the reply box; then they act.
        await page.keyboard.press("Escape")
        await expect(box).not_to_be_focused()
        await page.keyboard.press("p")
        await expect(status(page)).to_have_text("Pending")
        await page.keyboard.press("o")
        await expect(status(page)).to_have_text("Open")
        await page.keyboard.press("a")
        await expect(page.locator("#thread-sub")).to_have_text("Assigned to you")
        await page.keyboard.press("e")
        await expect(status(page)).to_have_text("Resolved")
        await expect(timeline_event(page, "You marked the conversation pending")).to_be_visible()
        await page.keyboard.press("6")
        await expect(view(page, "resolved")).to_have_attribute("aria-current", "true")
        await expect(listed(page, conversation)).to_be_visible()
        await page.keyboard.press("r")
        await expect(box).to_be_focused()
        await expect(box).to_have_value("e p s o 2 ?")  # the draft waited

        # `?` lists them, where an agent finds them (and the top bar's button opens the same list).
        await page.keyboard.press("Escape")
        await page.keyboard.press("?")
        shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
        await expect(shortcuts).to_be_visible()
        for key, does in [("e", "Resolve"), ("n", "Write an internal note (only the team sees it)")]:
            entry = shortcuts.locator(".shortcut", has=page.get_by_text(does, exact=True))
            await expect(entry.locator("kbd")).to_have_text(key)
        await page.keyboard.press("Escape")
        await expect(shortcuts).to_be_hidden()
        await page.get_by_role("button", name="Shortcuts", exact=True).click()
        await expect(shortcuts).to_be_visible()
