"""The console never lets a visitor go unnoticed: the tab's title counts the conversations with unread messages, and
while the tab is hidden a visitor's message chimes and shows a desktop notification (Chromium, the permission
granted), which opens its conversation; the chime can be muted, and the permission is asked for only on a click."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.waiting import eventually
from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, row

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Records what the page does with the real APIs (the permission stays the browser's): notifications shown, chimes
# started, and a tab the test hides and shows (`window.hideTab(true)`), as a browser does behind another tab.
RECORDER = """() => {
    window.shown = [];
    const RealNotification = window.Notification;
    window.Notification = class extends RealNotification {
        constructor(title, options) {
            super(title, options);
            window.shown.push({title, body: options.body, tag: options.tag});
            window.lastNotification = this;
        }
    };
    window.chimes = 0;
    const RealAudio = window.AudioContext;
    window.AudioContext = class extends RealAudio {
        createOscillator() { window.chimes += 1; return super.createOscillator(); }
    };
    let hidden = false;
    Object.defineProperty(document, 'visibilityState', {get: () => (hidden ? 'hidden' : 'visible')});
    Object.defineProperty(document, 'hidden', {get: () => hidden});
    window.hideTab = (now) => { hidden = now; document.dispatchEvent(new Event('visibilitychange')); };
}"""


async def console_page(server: WebServer, new_context: NewContext, grant: bool) -> Page:
    context = await new_context()
    if grant:
        await context.grant_permissions(["notifications"], origin=server.base)
    await context.add_init_script(script=f"({RECORDER})()")
    page = await context.new_page()
    await page.goto(server.console_url)
    await expect(page.locator("#conn")).to_have_text("Live")
    return page


async def test_the_title_counts_conversations_with_unread_messages(server: WebServer, new_context: NewContext) -> None:
    page = await console_page(server, new_context, grant=False)
    await expect(page).to_have_title("Parley console")
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        first = await workspace.conversation(name="Tia Title")
        second = await workspace.conversation(name="Ugo Title")
        await row(page, second).wait_for()
        await workspace.visitor_says(first, "First question")
        await workspace.visitor_says(second, "Second question")
        await workspace.visitor_says(second, "And another")
    await expect(page).to_have_title("(2) Parley console")
    await row(page, second).click()
    await expect(page).to_have_title("(1) Parley console")
    await expect(page.get_by_role("button", name="Turn on desktop notifications")).to_be_visible()  # not asked yet


async def test_a_hidden_tab_chimes_and_notifies_and_the_notification_opens_the_conversation(
    server: WebServer, new_context: NewContext
) -> None:
    page = await console_page(server, new_context, grant=True)
    await expect(page.get_by_role("button", name="Turn on desktop notifications")).to_have_count(0)  # granted
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Nell Notified")
        await row(page, conversation).wait_for()
        await page.evaluate("window.hideTab(true)")
        await workspace.visitor_says(conversation, "Is anyone there?")
        shown = await eventually(lambda: page.evaluate("window.shown.length && window.shown"), what="a notification")
        assert shown[-1] == {"title": "Nell Notified", "body": "Is anyone there?", "tag": conversation}
        assert await page.evaluate("window.chimes") >= 1

        await page.evaluate("window.hideTab(false)")
        await page.evaluate("window.lastNotification.onclick()")  # the agent clicks it
        await expect(page.get_by_role("textbox", name="Reply to Nell Notified")).to_be_visible()

        sound = page.get_by_role("switch", name="Sound")
        await sound.click()
        await expect(sound).to_have_attribute("aria-checked", "false")
        chimes = await page.evaluate("window.chimes")
        await page.evaluate("window.hideTab(true)")
        await workspace.visitor_says(conversation, "Hello again?")
        await eventually(lambda: page.evaluate("window.shown.length >= 2"), what="the second notification")
        assert await page.evaluate("window.chimes") == chimes, "muted: no chime"

        await page.evaluate("window.hideTab(false)")
        mine = await workspace.call("POST", "/agents", {"serviceUserId": "nobody", "name": "Nobody"})
        assert mine["id"]
        count = await page.evaluate("window.shown.length")
        await page.evaluate("window.hideTab(true)")
        await workspace.call(
            "POST", f"/conversation/{conversation}/send-note", {"uuid": "n1", "text": "Internal", "agentId": mine["id"]}
        )
        await workspace.visitor_says(conversation, "Last one")
        await eventually(lambda: page.evaluate(f"window.shown.length > {count}"), what="the visitor's message told")
        told = await page.evaluate("window.shown.map((n) => n.body)")
        assert "Internal" not in told, "a note is never told"


async def test_an_agent_with_an_email_turns_their_email_notifications_off_and_on(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        await workspace.call("PUT", f"/agents/{server.agent_id}", {"email": "console-agent@example.com"})
        page = await console_page(server, new_context, grant=False)
        email = page.get_by_role("switch", name="Email")
        await expect(email).to_have_attribute("aria-checked", "true")  # on for a new agent
        await email.click()
        await expect(email).to_have_attribute("aria-checked", "false")
        assert (await workspace.call("GET", f"/agents/{server.agent_id}"))["emailNotifications"] is False
        await email.click()
        await expect(email).to_have_attribute("aria-checked", "true")
        assert (await workspace.call("GET", f"/agents/{server.agent_id}"))["emailNotifications"] is True
