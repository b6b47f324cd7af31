"""The widget asks a visitor for their email when the team is away, so an answer reaches them after they leave:
what the server refuses is said, a saved address shows on the External API at once, and a no is kept."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import NewContext, WebServer
from tests.web.test_console_people import external
from tests.web.widget_support import message, open_visitor, visitor_id, widget, write

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_visitor_leaves_their_email_while_the_team_is_away(server: WebServer, new_context: NewContext) -> None:
    page = await open_visitor(new_context, server)  # no console is open: the team is away
    email = page.get_by_role("textbox", name="Leave your email")
    await expect(email).to_be_hidden()  # nothing asked before the visitor says anything
    await write(page, "Is my order on its way?")
    await expect(message(page, "Is my order on its way?")).to_contain_text("Delivered")
    await expect(email).to_be_visible()

    await email.fill("vera@example")  # the browser takes it; the server does not
    await widget(page).get_by_role("button", name="Save").click()
    await expect(widget(page).get_by_role("alert")).to_have_text("That doesn't look like an email address.")
    await email.fill("vera@example.net")
    await widget(page).get_by_role("button", name="Save").click()
    await expect(email).to_be_hidden()
    async with external(server) as http:
        shown = (await http.get(f"/end-users/{await visitor_id(page, server)}")).json()["data"]
    assert shown["email"] == "vera@example.net"

    await page.reload()  # asked once: they have an email now
    await page.get_by_role("button", name="Open chat").click()
    await expect(message(page, "Is my order on its way?")).to_be_visible()
    await expect(email).to_be_hidden()


async def test_a_visitor_who_says_no_is_not_asked_again(server: WebServer, new_context: NewContext) -> None:
    page = await open_visitor(new_context, server)
    await write(page, "Just looking around")
    await widget(page).get_by_role("button", name="No thanks").click()
    email = page.get_by_role("textbox", name="Leave your email")
    await expect(email).to_be_hidden()
    await write(page, "One more question")
    await expect(message(page, "One more question")).to_contain_text("Delivered")
    await expect(email).to_be_hidden()
