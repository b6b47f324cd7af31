"""The agent console in a browser: what it keeps across a lost connection."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.web.conftest import NewContext, WebServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def visitor_says(http: httpx.AsyncClient, site_key: str, text: str) -> None:
    """A new visitor's conversation with one message from them."""
    session = (await http.post("/api/widget/v1/session", json={"siteKey": site_key})).json()["data"]
    headers = {"Authorization": f"Bearer {session['endUser']['websocketToken']}"}
    sent = await http.post("/api/widget/v1/messages", json={"uuid": text, "text": text}, headers=headers)
    assert sent.status_code == 200, sent.text


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
        await visitor_says(http, server.site_key, "Before the outage")
        await expect(page.locator(".row", has_text="Before the outage")).to_be_visible()

        outage = True
        cut, open_routes[:] = list(open_routes), []
        for side in cut:  # the page's side and the server's
            await side.close(code=1012, reason="cut")
        await expect(page.locator("#conn")).to_have_text("Reconnecting…")
        for text in ("Missed in one conversation", "Missed in another"):
            await visitor_says(http, server.site_key, text)
        outage = False

        for text in ("Missed in one conversation", "Missed in another"):
            await expect(page.locator(".row", has_text=text)).to_be_visible()
    await expect(page.locator("#conn")).to_have_text("Live")
    (first_url, seen), *reconnections = connections
    assert "after" not in parse_qs(urlparse(first_url).query) and seen
    assert [parse_qs(urlparse(url).query)["after"] for url, _ in reconnections] == [[str(max(seen))]]
