"""The console's sign-in links: a `#token=` link for another agent or workspace asks before it replaces the session."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from parley import schemas
from parley.services import audit, people, workspaces
from parley.services.demo import DEMO_AGENT_NAME
from parley.services.workspaces import DEMO_WORKSPACE, create_workspace
from tests.web.conftest import NewContext, WebServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_link_for_another_workspace_asks_naming_both_sessions(
    server: WebServer, new_context: NewContext
) -> None:
    other, _ = await create_workspace(server.services, "Globex")
    request = schemas.CreateAgentRequest(service_user_id="bea", name="Bea Other")
    bea = await people.create_agent(server.services, other, request, audit.CLI)
    link = (
        f"{server.base}/console#token={await workspaces.issue_agent_token(server.services, other, bea.id, audit.CLI)}"
    )
    page = await (await new_context()).new_page()
    await page.goto(server.console_url)
    await expect(page.locator("#me-name")).to_have_text(DEMO_AGENT_NAME)

    # The link opened in the signed-in tab, as from a chat or an email: the console asks, naming both sessions.
    await page.goto("about:blank")
    await page.goto(link)
    question = page.get_by_role("dialog")
    await expect(question).to_be_visible()
    for name in (DEMO_AGENT_NAME, DEMO_WORKSPACE, "Bea Other", "Globex"):
        await expect(question).to_contain_text(name)
    stay = question.get_by_role("button", name=f"Stay as {DEMO_AGENT_NAME}")
    await expect(stay).to_be_focused()
    assert "token" not in page.url

    await stay.click()
    await expect(question).to_be_hidden()
    await expect(page.locator("#conn")).to_have_text("Live")
    await page.reload()
    await expect(page.locator("#me-name")).to_have_text(DEMO_AGENT_NAME)  # declined: still the demo agent

    # The same link pasted into this tab's address bar (only the fragment changes, nothing reloads): accepted.
    await page.evaluate("window.unloaded = false")
    await page.goto(link)
    await expect(question).to_be_visible()
    assert await page.evaluate("window.unloaded === false"), "the same page asked"
    await question.get_by_role("button", name="Switch to Bea Other").click()
    await expect(page.locator("#me-name")).to_have_text("Bea Other")
    await expect(page.locator("#conn")).to_have_text("Live")
    assert "token" not in page.url
    await page.reload()
    await expect(page.locator("#me-name")).to_have_text("Bea Other")
    await expect(question).to_be_hidden()
