"""A long conversation opens at its newest page at once; older pages arrive as the visitor scrolls up, and what
they were reading stays where it was."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.widget_support import message, team, widget

pytestmark = pytest.mark.asyncio(loop_scope="module")

LENGTH = 3000
NEWEST = "The newest message of them all"

# Opens the widget as the given visitor and answers the milliseconds until the newest message is on screen (giving up
# after 15 s, which fails the test all the same).
TIME_TO_NEWEST = """async ([token, newest]) => {
    const started = performance.now();
    Parley.identify(token);
    Parley.open();
    const root = document.querySelector("parley-chat").shadowRoot;
    const shown = () => [...root.querySelectorAll("[data-message-id]")].find((el) => el.textContent.includes(newest));
    await new Promise((resolve) => {
        const done = () => shown()?.getBoundingClientRect().height || performance.now() - started > 15000;
        const look = () => (done() ? resolve() : requestAnimationFrame(look));
        look();
    });
    return performance.now() - started;
}"""


async def test_the_newest_of_3000_messages_shows_within_a_second_and_older_pages_load_on_scrolling_up(
    server: WebServer, new_context: NewContext
) -> None:
    async with team(server) as the_team:
        visitor = (await the_team.api.post("/end-users", json={"name": "Long Talker"})).json()["data"]
        created = await the_team.api.post("/conversations", json={"endUserId": visitor["id"]})
        conversation = created.json()["data"]
        sending = asyncio.Semaphore(16)

        async def send(n: int) -> None:
            async with sending:
                body = {"uuid": f"long-{n}", "text": f"Message number {n}"}
                response = await the_team.api.post(f"/conversation/{conversation['id']}/send-text-message", json=body)
                assert response.status_code == 200, response.text

        await asyncio.gather(*(send(n) for n in range(LENGTH)))
        newest_body = {"uuid": "newest", "text": NEWEST}
        await the_team.api.post(f"/conversation/{conversation['id']}/send-text-message", json=newest_body)

    page = await (await new_context(1280, 800)).new_page()
    await page.goto(server.demo_url)
    await page.wait_for_function("() => window.Parley")
    elapsed = await page.evaluate(TIME_TO_NEWEST, [visitor["websocketToken"], NEWEST])
    assert elapsed < 1000, f"the newest message took {elapsed:.0f} ms to show"
    await expect(message(page, NEWEST)).to_be_in_viewport()

    shown = widget(page).locator("[data-message-id]")
    first_page = await shown.count()
    assert first_page < LENGTH
    oldest_shown = await shown.first.get_attribute("data-message-id")
    await widget(page).locator(".log").evaluate("log => { log.scrollTop = 0; }")
    await expect(shown).not_to_have_count(first_page)
    assert await shown.count() > first_page
    # The page arrived above what the visitor was reading, which stays where it was.
    await expect(widget(page).locator(f"[data-message-id='{oldest_shown}']")).to_be_in_viewport()
    assert await shown.first.get_attribute("data-message-id") != oldest_shown
