"""The agent console in a browser: what it keeps across a lost connection, and across closing it."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, new_visitor, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_console_resumes_after_the_last_stream_position_it_saw(
    server: WebServer, new_context: NewContext
) -> None:
    """The connection drops (the page's socket is routed through Playwright, which cuts it and refuses new ones
    for a while); what was written meanwhile, in two conversations, reaches the console when it reconnects."""
    context = await new_context()
    page = await context.new_page()
    connections: list[tuple[str, list[int]]] = []  # each socket the page opened, with the positions it got
    open_routes: list[WebSocketRoute] = []
    outage = False  # while set, open connections are cut (Playwright may still hand over their frames) or refused

    async def route(socket: WebSocketRoute) -> None:
        if outage:
            await socket.close(code=1012, reason="down")
            return
        positions: list[int] = []
        connections.append((socket.url, positions))
        open_routes.append(socket)
        upstream = socket.connect_to_server()
        open_routes.append(upstream)

        def forward(message: str | bytes) -> None:
            if socket not in open_routes:
                return
            frame = json.loads(message)
            if "position" in frame:
                positions.append(frame["position"])
            socket.send(message)

        upstream.on_message(forward)

    await page.route_web_socket(re.compile(r".*/api/agent/v1/ws.*"), route)
    await page.goto(server.console_url)
    await expect(page.locator("#conn")).to_have_text("Live")
    async with httpx.AsyncClient(base_url=server.base) as http:
        await (await new_visitor(http, server)).says("Before the outage")
        await expect(page.locator(".row", has_text="Before the outage")).to_be_visible()

        outage = True
        cut, open_routes[:] = list(open_routes), []
        for side in cut:  # the page's side and the server's
            await side.close(code=1012, reason="cut")
        await expect(page.locator("#conn")).to_have_text("Reconnecting…")
        for text in ("Missed in one conversation", "Missed in another"):
            await (await new_visitor(http, server)).says(text)
        outage = False

        for text in ("Missed in one conversation", "Missed in another"):
            await expect(page.locator(".row", has_text=text)).to_be_visible()
    await expect(page.locator("#conn")).to_have_text("Live")
    (first_url, seen), *reconnections = connections
    assert "after" not in parse_qs(urlparse(first_url).query) and seen
    assert [parse_qs(urlparse(url).query)["after"] for url, _ in reconnections] == [[str(max(seen))]]


async def test_an_agents_choice_to_be_away_outlasts_closing_the_console(
    server: WebServer, new_context: NewContext
) -> None:
    page = await open_console(new_context, server)
    switch = page.get_by_role("switch", name="Available to visitors")
    await expect(switch).to_have_attribute("aria-checked", "true")
    await switch.click()
    await expect(switch).to_have_attribute("aria-checked", "false")
    await expect(switch).to_have_text("Away")
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        agent = await workspace.call("GET", f"/agents/{server.agent_id}")
        assert (agent["availability"], agent["status"]) == ("away", "offline")

        await page.context.close()
        reopened = await open_console(new_context, server)
        switch = reopened.get_by_role("switch", name="Available to visitors")
        await expect(switch).to_have_attribute("aria-checked", "false")
        await expect(switch).to_have_text("Away")
        agent = await workspace.call("GET", f"/agents/{server.agent_id}")
        assert (agent["availability"], agent["status"]) == ("away", "offline"), "a console open is not a choice"

        await switch.click()
        await expect(switch).to_have_attribute("aria-checked", "true")
        await polled(
            lambda: workspace.call("GET", f"/agents/{server.agent_id}"),
            lambda agent: agent["status"] == "online",
            what="the agent shown online to visitors again",
        )


async def test_a_link_to_a_conversation_opens_it(server: WebServer, new_context: NewContext) -> None:
    """The link a notification mail carries: `/console/?conversation=<id>`, opened once, then forgotten."""
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        linked = await workspace.conversation(name="Linda Linked")
        await workspace.visitor_says(linked, "Where is my parcel?")
    page = await (await new_context()).new_page()
    await page.goto(f"{server.base}/console/?conversation={linked}#token={server.agent_token}")
    await expect(page.get_by_role("textbox", name="Reply to Linda Linked")).to_be_visible()
    await expect(page.locator("#messages .msg", has_text="Where is my parcel?")).to_be_visible()
    assert "conversation=" not in page.url
