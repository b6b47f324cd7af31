"""The console's open conversation: drafts, links, long histories, bursts of messages, and what assistive technology
is told."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from playwright.async_api import Route, expect

from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, message, new_visitor, open_console, reply_box, row

pytestmark = pytest.mark.asyncio(loop_scope="module")

HISTORY_LENGTH = 3000
HISTORY_PAGE = 50  # the console's page of history (HISTORY_PAGE in parley/web/console/model.js)
# Records what is added to, or changed in, every live region of the page (where screen readers announce changes).
WATCH_LIVE_REGIONS = """() => {
    window.announced = [];
    const regions = document.querySelectorAll(
        '[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"]');
    const observer = new MutationObserver((records) => {
        for (const record of records) {
            if (record.type === 'characterData') window.announced.push(record.target.data);
            for (const node of record.addedNodes) window.announced.push(node.textContent);
        }
    });
    for (const region of regions) observer.observe(region, {childList: true, subtree: true, characterData: true});
}"""


async def test_a_draft_stays_with_its_conversation_and_survives_a_reload(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        ann = await workspace.conversation(name="Ann Drafts")
        bob = await workspace.conversation(name="Bob Drafts")
        await workspace.visitor_says(ann, "Ann asks something")
        await workspace.visitor_says(bob, "Bob asks something")
        page = await open_console(new_context, server)

        await row(page, ann).click()
        await reply_box(page).fill("Half a reply for Ann")
        await row(page, bob).click()
        await expect(page.get_by_role("textbox", name="Reply to Bob Drafts")).to_have_value("")
        await reply_box(page).fill("A reply for Bob only")

        await page.reload()
        await row(page, ann).click()
        await expect(page.get_by_role("textbox", name="Reply to Ann Drafts")).to_have_value("Half a reply for Ann")
        await row(page, bob).click()
        await expect(page.get_by_role("textbox", name="Reply to Bob Drafts")).to_have_value("A reply for Bob only")
        await reply_box(page).press("Enter")
        await expect(page.locator("#messages .msg", has_text="A reply for Bob only")).to_contain_text("Delivered")
        await expect(reply_box(page)).to_have_value("")

        await row(page, ann).click()
        await expect(page.get_by_role("textbox", name="Reply to Ann Drafts")).to_have_value("Half a reply for Ann")
        ann_history = await workspace.call("GET", f"/conversation/{ann}/messages")
        assert [m["body"] for m in ann_history] == ["Ann asks something"]
        await page.reload()
        await row(page, bob).click()
        await expect(page.get_by_role("textbox", name="Reply to Bob Drafts")).to_have_value("")  # sent: no draft


async def test_web_addresses_become_links_and_html_stays_text(server: WebServer, new_context: NewContext) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Link Sender")
        said = await workspace.visitor_says(
            conversation, "My order (https://shop.example/orders/42?x=1). <b>not bold</b> and ftp://files.example"
        )
        page = await open_console(new_context, server)
        await row(page, conversation).click()
        sent = message(page, said["id"])
        link = sent.get_by_role("link", name="https://shop.example/orders/42?x=1")
        await expect(link).to_have_attribute("href", "https://shop.example/orders/42?x=1")
        await expect(link).to_have_attribute("target", "_blank")
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        await expect(sent).to_contain_text("). <b>not bold</b> and ftp://files.example")
        await expect(sent.locator("b")).to_have_count(0)
        await expect(sent.get_by_role("link")).to_have_count(1)


async def test_messages_carry_their_ids_and_direction_and_are_announced_once(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        visitor = await new_visitor(http, server)
        first = await visitor.says("مرحبا، أحتاج مساعدة في طلبي")
        page = await open_console(new_context, server)
        conversation = first["conversationId"]
        await row(page, conversation).click()
        arabic = message(page, first["id"])
        await expect(arabic.locator(".bubble")).to_have_attribute("dir", "auto")
        assert await arabic.locator(".bubble").evaluate("el => getComputedStyle(el).direction") == "rtl"

        await reply_box(page).fill("Hello! How can I help?")
        await reply_box(page).press("Enter")
        reply = page.locator("#messages .msg", has_text="Hello! How can I help?")
        await expect(reply).to_contain_text("Delivered")
        stored = await Workspace(http, server).call("GET", f"/conversation/{conversation}/messages")
        await expect(reply).to_have_attribute("data-message-id", stored[-1]["id"])

        await page.evaluate(WATCH_LIVE_REGIONS)
        history = await visitor_history(http, visitor.headers)
        await visitor.reads(history[-1]["microseconds"])
        await expect(reply).to_contain_text("Read")
        second = await visitor.says("Thanks, it is order 42")
        await expect(message(page, second["id"])).to_be_visible()

        announced: list[str] = await page.evaluate("window.announced")
        assert not [text for text in announced if "How can I help" in text], announced
        assert len([text for text in announced if "it is order 42" in text]) == 1, announced


async def visitor_history(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await http.get("/api/widget/v1/messages", params={"before": 2**53 - 1, "limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def test_the_newest_page_shows_first_and_older_pages_come_when_scrolling_up(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Long Talker")
        await workspace.visitor_says_each(conversation, [f"History message {n:04}" for n in range(1, HISTORY_LENGTH)])
        newest = await workspace.visitor_says(conversation, f"History message {HISTORY_LENGTH}")
    page = await open_console(new_context, server)
    await row(page, conversation).wait_for()

    # The time from the click to the newest message in view, measured by the page itself, frame by frame.
    await page.evaluate(
        "() => addEventListener('pointerdown', () => (window.clickedAt = performance.now()), {capture: true})"
    )
    await row(page, conversation).click()
    shown_at = await page.wait_for_function(
        """id => {
            const list = document.getElementById('messages');
            const newest = list && list.querySelector(`[data-message-id="${id}"]`);
            if (!newest) return false;
            const box = newest.getBoundingClientRect(), view = list.getBoundingClientRect();
            return box.top >= view.top && box.bottom <= view.bottom + 1 && performance.now();
        }""",
        arg=newest["id"],
        polling="raf",
    )
    elapsed_ms = await shown_at.json_value() - await page.evaluate("window.clickedAt")
    assert elapsed_ms < 1000, f"the newest message took {elapsed_ms:.0f} ms to show"
    messages = page.locator("#messages .msg")
    # A page shorter than the view is followed by an older one at once: counted once none is on its way.
    await expect(page.locator("#messages")).to_have_attribute("aria-busy", "false")
    shown = await messages.count()
    assert shown < HISTORY_LENGTH / 10, "only the newest page is read at first"

    # Scrolled to the top, the next older page arrives above, and what the agent was looking at stays put. (The page
    # is held back until the position is measured: it would otherwise race the measurement.)
    older_page_asked = asyncio.Event()
    release = asyncio.Event()

    async def hold_older_pages(route: Route) -> None:
        if f"before={2**53 - 1}" not in route.request.url:
            older_page_asked.set()
            await release.wait()
        await route.continue_()

    await page.route(re.compile(r".*/conversations/[^/]+/messages\?.*"), hold_older_pages)
    in_view = messages.first
    in_view_id = await in_view.get_attribute("data-message-id")
    await page.locator("#messages").evaluate("history => history.scrollBy(0, -history.scrollHeight)")
    await older_page_asked.wait()
    seen_at = await in_view.evaluate("el => el.getBoundingClientRect().top")
    release.set()
    await expect(messages).to_have_count(shown + HISTORY_PAGE)
    kept = page.locator(f'#messages [data-message-id="{in_view_id}"]')
    assert await kept.evaluate("el => el.getBoundingClientRect().top") == pytest.approx(seen_at, abs=1)


# Watches the page while a burst arrives: the longest wait between two frames, and every row or message element
# that existed when watching began and was changed since (new ones are expected), by its id.
WATCH_REDRAWS = """() => {
    window.longestFrameMs = 0;
    let last = performance.now();
    const frame = (now) => {
        window.longestFrameMs = Math.max(window.longestFrameMs, now - last);
        last = now;
        if (!window.burstOver) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    window.redrawn = new Set();
    const known = new Set(document.querySelectorAll('[data-conversation-id], [data-message-id]'));
    const idOf = (element) => element.dataset.conversationId || element.dataset.messageId;
    const owner = (node) => {
        for (let at = node.nodeType === 1 ? node : node.parentElement; at; at = at.parentElement) {
            if (known.has(at)) return idOf(at);
        }
        return null;
    };
    new MutationObserver((records) => {
        for (const record of records) {
            const changed = record.type === 'childList' ? [...record.removedNodes] : [record.target];
            for (const node of changed) {
                const id = owner(node) || (record.type === 'childList' && owner(record.target));
                if (id) window.redrawn.add(id);
            }
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
}"""


async def test_a_burst_of_messages_redraws_only_what_changed_and_the_console_keeps_up(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        quiet = [await workspace.conversation(name=f"Quiet {n}") for n in range(30)]
        for conversation in quiet:
            await workspace.visitor_says(conversation, "Nothing new here")
        busy = await workspace.conversation(name="Busy Visitor")
        first = await workspace.visitor_says(busy, "The burst starts")
        page = await open_console(new_context, server)
        await row(page, busy).click()
        await expect(message(page, first["id"])).to_be_visible()

        await page.evaluate(WATCH_REDRAWS)
        await workspace.visitor_says_each(busy, [f"Burst message {n:04}" for n in range(HISTORY_LENGTH)])
        last = await workspace.visitor_says(busy, "The burst is over")
        sent_at = time.monotonic()
        await expect(message(page, last["id"])).to_be_in_viewport()
        caught_up_s = time.monotonic() - sent_at
        await page.evaluate("window.burstOver = true")

    assert caught_up_s < 3, f"the console showed the burst's last message {caught_up_s:.1f} s after it was sent"
    longest_frame_ms = await page.evaluate("window.longestFrameMs")
    # Frames take tens of milliseconds here; a second without one is a frozen page, not a machine's hiccup.
    assert longest_frame_ms < 1000, f"the page froze for {longest_frame_ms:.0f} ms"
    redrawn = set(await page.evaluate("[...window.redrawn]"))
    assert redrawn <= {busy}, f"rows or messages drawn again although unchanged: {redrawn - {busy}}"
    await expect(page.locator("#messages .msg")).to_have_count(HISTORY_LENGTH + 2)


async def test_the_reply_box_and_the_conversation_actions_say_what_they_do(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Nadia Names")
        await workspace.visitor_says(conversation, "Can someone take this?")
        page = await open_console(new_context, server)
        await row(page, conversation).click()

        await expect(page.get_by_role("textbox", name="Reply to Nadia Names", exact=True)).to_be_focused()
        review = page.get_by_role("button", name="Request review", exact=True)
        await expect(review).to_be_disabled()  # nobody to rate yet
        await page.get_by_role("button", name="Assign to me", exact=True).click()
        await expect(page.get_by_role("button", name="Unassign me", exact=True)).to_be_visible()
        await expect(review).to_be_enabled()
        await page.get_by_role("button", name="Lock conversation", exact=True).click()
        await expect(page.get_by_role("button", name="Unlock conversation", exact=True)).to_be_visible()
        await expect(review).to_be_disabled()
        await expect(page.get_by_role("textbox", name="Reply to Nadia Names", exact=True)).to_be_disabled()
        stored = await workspace.call("GET", f"/conversation/{conversation}")
        assert stored["locked"] and stored["assignedAgent"]["id"] == server.agent_id
