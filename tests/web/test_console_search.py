"""The console's search box: what it finds, and each result opening its conversation at the message that matched."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, message, open_console, row

pytestmark = pytest.mark.asyncio(loop_scope="module")

HISTORY_LENGTH = 400  # several pages of history after the match: the thread must open far from its newest page


async def test_a_result_opens_its_conversation_at_the_matching_message(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        long_one = await workspace.conversation(name="Helga History")
        await workspace.visitor_says_each(long_one, [f"Small talk {n:04}" for n in range(40)])
        match = await workspace.visitor_says(long_one, "My flamingo-pink sofa arrived scratched")
        await workspace.visitor_says_each(long_one, [f"More small talk {n:04}" for n in range(HISTORY_LENGTH)])
        newest = await workspace.visitor_says(long_one, "Anyway, what now?")
        by_name = await workspace.conversation(name="Flamingo Fields")
        await workspace.visitor_says(by_name, "Hello there")
        await workspace.conversation(name="Nobody Relevant")
        page = await open_console(new_context, server)

        # `/` goes to the search box; typing searches (the last word also as a prefix).
        await page.keyboard.press("/")
        search = page.get_by_role("searchbox", name="Search conversations")
        await expect(search).to_be_focused()
        await search.press_sequentially("flaming")
        results = page.get_by_role("region", name="Search results")
        await expect(results.get_by_role("status")).to_have_text("2 conversations found")
        found = results.locator(f'[data-result-for="{long_one}"]')
        await expect(found).to_contain_text("My flamingo-pink sofa arrived scratched")
        await expect(results.locator(f'[data-result-for="{by_name}"]')).to_contain_text("name or email matches")

        # The result opens the conversation at that message, in view and marked, with everything after it below.
        await found.click()
        matched = message(page, match["id"])
        await expect(matched).to_be_in_viewport()
        await expect(matched).to_have_class("msg visitor found")
        await expect(message(page, newest["id"])).to_be_attached()
        assert await page.locator("#messages .msg").count() >= HISTORY_LENGTH + 2
        await page.locator("#messages").evaluate("history => history.scrollTo(0, 0)")  # the newest, at the bottom
        await expect(message(page, newest["id"])).to_be_in_viewport()

        # The name match opens its conversation at its newest message; Escape leaves the search for the list.
        await results.locator(f'[data-result-for="{by_name}"]').click()
        await expect(page.get_by_role("heading", name="Flamingo Fields")).to_be_visible()
        await search.press("Escape")
        await expect(results).to_have_count(0)
        await expect(search).to_have_value("")
        await expect(row(page, by_name)).to_be_visible()
