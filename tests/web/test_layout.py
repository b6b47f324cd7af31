"""The widget on other people's pages: hostile CSS, a phone-sized screen, the keyboard, and a refused origin.

The host pages come from another server (another origin) on loopback, so the widget talks to Parley across
origins as it does on a customer's site. (A page from a public origin may not reach a loopback server at all:
Chromium's private network access rules, which real deployments never meet.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from parley.services.workspaces import create_workspace
from tests.support.upstream import FileServer
from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer, screenshot_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOSTILE_CSS = """
html, body { font: 40px/3 "Comic Sans MS", cursive !important; color: red !important; overflow: hidden; }
body { transform: translateX(-30px); filter: hue-rotate(90deg); }
* { box-sizing: content-box !important; margin: 13px !important; padding: 9px !important;
    border: 3px dashed lime !important; letter-spacing: 4px !important; }
div, section, header, form, button, textarea, input, img, span, p, ol, li, svg {
    display: none !important; visibility: hidden !important; opacity: 0 !important; }
button { position: static !important; width: 500px !important; height: 3px !important; }
parley-chat, [style] { display: none !important; transform: scale(0) !important; z-index: -1 !important; }
:host { display: none !important; }
"""


def page_html(server: WebServer, site_key: str, css: str = "", script: bool = True) -> str:
    tag = f'<script src="{server.base}/widget.js" data-site-key="{site_key}" async></script>' if script else ""
    return (
        "<!doctype html><html><head><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{css}</style></head><body><main><h1>Shop</h1><p id='own'>The page's own text.</p>"
        f"<button id='buy'>Buy</button></main>{tag}</body></html>"
    )


async def host_page(context: BrowserContext, shop: FileServer, html: str, host: str = "127.0.0.1") -> Page:
    """The page, served by the shop's own server: `host` picks the origin (127.0.0.1 or localhost)."""
    path = f"/shop/{len(shop.files)}.html"
    shop.add(path, html.encode(), "text/html; charset=utf-8")
    page = await context.new_page()
    await page.goto(f"http://{host}:{shop.port}{path}")
    return page


async def box(page: Page, selector: str) -> dict[str, float]:
    found = await page.locator(selector).bounding_box()
    assert found is not None, selector
    return {
        "x": round(found["x"]),
        "y": round(found["y"]),
        "width": round(found["width"]),
        "height": round(found["height"]),
    }


async def test_hostile_css_cannot_break_the_widget(
    server: WebServer, new_context: NewContext, file_server: FileServer
) -> None:
    page = await host_page(await new_context(1280, 800), file_server, page_html(server, server.site_key, HOSTILE_CSS))
    launcher = page.get_by_role("button", name="Open chat")
    await expect(launcher).to_be_visible()
    assert await box(page, "parley-chat .launcher") == {"x": 1204, "y": 724, "width": 56, "height": 56}
    await launcher.click()
    panel = page.locator("parley-chat .panel")
    await expect(panel).to_be_visible()
    assert await box(page, "parley-chat .panel") == {"x": 890, "y": 112, "width": 370, "height": 600}
    font = await page.locator("parley-chat .root").evaluate("el => getComputedStyle(el).font")
    assert font.startswith("14px") and "Comic" not in font
    message = page.get_by_role("textbox", name="Message")
    await expect(message).to_be_enabled()
    await message.fill("Can you still read me?")
    await message.press("Enter")
    await expect(page.locator("parley-chat .msg.me", has_text="Can you still read me?")).to_contain_text("Delivered")


async def test_the_widget_leaves_the_page_alone(
    server: WebServer, new_context: NewContext, file_server: FileServer
) -> None:
    page = await host_page(await new_context(1280, 800), file_server, page_html(server, server.site_key, script=False))
    measure = """() => ({
        own: getComputedStyle(document.getElementById('own')).cssText || JSON.stringify(
            ['font', 'color', 'margin', 'display'].map((p) => getComputedStyle(document.getElementById('own'))[p])),
        buy: JSON.stringify(document.getElementById('buy').getBoundingClientRect()),
        sheets: document.styleSheets.length,
        bodyChildren: document.body.children.length,
        globals: Object.keys(window).sort(),
    })"""
    before: dict[str, Any] = await page.evaluate(measure)
    await page.evaluate(
        """([src, key]) => { const s = document.createElement('script'); s.src = src; s.dataset.siteKey = key;
        s.async = true; document.head.append(s); }""",
        [f"{server.base}/widget.js", server.site_key],
    )
    await expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    after: dict[str, Any] = await page.evaluate(measure)
    assert set(after["globals"]) - set(before["globals"]) == {"Parley"}
    assert {k: v for k, v in after.items() if k != "globals"} == {k: v for k, v in before.items() if k != "globals"}
    assert await page.evaluate("document.querySelector('parley-chat').parentElement === document.documentElement")
    assert await page.evaluate("typeof Parley.open === 'function' && typeof Parley.identify === 'function'")


async def test_a_360_px_phone_gets_a_full_screen_chat(
    server: WebServer, new_context: NewContext, tmp_path: Path
) -> None:
    context = await new_context(360, 740)
    page = await context.new_page()
    await page.goto(server.demo_url)
    await page.get_by_role("button", name="Open chat").click()
    panel = page.locator("parley-chat .panel")
    await expect(panel).to_be_visible()
    assert await box(page, "parley-chat .panel") == {"x": 0, "y": 0, "width": 360, "height": 740}
    message = page.get_by_role("textbox", name="Message")
    await message.fill("Hello from a phone")
    await message.press("Enter")
    await expect(page.locator("parley-chat .msg.me", has_text="Hello from a phone")).to_contain_text("Delivered")
    await page.screenshot(path=screenshot_path("widget-mobile.png", tmp_path))
    await message.fill("A very long word: " + "x" * 300)
    await message.press("Enter")
    await expect(page.locator("parley-chat .msg.me", has_text="A very long word")).to_contain_text("Delivered")
    overflow = await page.locator("parley-chat .log").evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("parley-chat .composer textarea", "parley-chat .send", "parley-chat header .icon"):
        found = await box(page, selector)
        assert found["x"] >= 0 and found["x"] + found["width"] <= 360, selector
    await page.get_by_role("button", name="Close chat").click()
    await expect(panel).to_be_hidden()


async def test_the_widget_works_from_the_keyboard(
    server: WebServer, new_context: NewContext, file_server: FileServer
) -> None:
    page = await host_page(await new_context(1280, 800), file_server, page_html(server, server.site_key))
    launcher = page.get_by_role("button", name="Open chat")
    await expect(launcher).to_be_visible()
    await page.locator("#buy").focus()
    await page.keyboard.press("Tab")
    await expect(launcher).to_be_focused()
    assert await launcher.get_attribute("aria-expanded") == "false"
    await page.keyboard.press("Enter")
    message = page.get_by_role("textbox", name="Message")
    await expect(message).to_be_focused()
    await expect(page.get_by_role("dialog")).to_have_accessible_name("Chat with us")
    await page.keyboard.type("Typed without a mouse")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log", name="Messages")).to_contain_text("Typed without a mouse")
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(page.get_by_role("button", name="Open chat")).to_be_focused()


async def test_a_page_outside_the_allowed_origins_is_told_so(
    server: WebServer, new_context: NewContext, file_server: FileServer
) -> None:
    workspace, token = await create_workspace(server.services, "Strict")
    async with httpx.AsyncClient(base_url=server.base) as http:
        response = await http.put(
            "/api/external/v1/widget-settings",
            json={"allowedOrigins": [f"http://localhost:{file_server.port}"]},
            headers={"Authorization": token},
        )
        assert response.status_code == 200, response.text
    page = await host_page(await new_context(1280, 800), file_server, page_html(server, workspace.site_key))
    await page.get_by_role("button", name="Open chat").click()
    banner = page.locator("parley-chat .banner")
    await expect(banner).to_contain_text("origin may not use")
    await expect(banner.get_by_role("button", name="Try again")).to_have_count(0)
    await expect(page.get_by_role("textbox", name="Message")).to_be_disabled()

    allowed_page = page_html(server, workspace.site_key)
    allowed = await host_page(await new_context(1280, 800), file_server, allowed_page, host="localhost")
    await allowed.get_by_role("button", name="Open chat").click()
    await expect(allowed.get_by_role("textbox", name="Message")).to_be_enabled()


async def test_an_identified_visitor_chats_as_themself(
    server: WebServer, new_context: NewContext, file_server: FileServer
) -> None:
    """The integrator's server creates the end user and hands its token to the page: `Parley.identify(token)`."""
    async with httpx.AsyncClient(
        base_url=f"{server.base}/api/external/v1", headers={"Authorization": server.api_token}
    ) as http:
        ann = (await http.post("/end-users", json={"name": "Ann", "serviceUserId": "ann-42"})).json()["data"]
        page = await host_page(await new_context(1280, 800), file_server, page_html(server, server.site_key))
        await expect(page.get_by_role("button", name="Open chat")).to_be_visible()
        await page.evaluate("token => Parley.identify(token)", ann["websocketToken"])
        await page.get_by_role("button", name="Open chat").click()
        message = page.get_by_role("textbox", name="Message")
        await message.fill("It's Ann")
        await message.press("Enter")
        await expect(page.locator("parley-chat .msg.me", has_text="It's Ann")).to_contain_text("Delivered")
        # The integrator's token is not kept; the outbox's entry goes when the POST's answer comes, which may be
        # after the websocket's echo has shown "Delivered".
        await polled(lambda: page.evaluate("Object.keys(localStorage)"), lambda keys: keys == [], what="no storage")
        found = (await http.get("/conversations", params={"endUserId": ann["id"]})).json()["data"]
        history = (await http.get(f"/conversation/{found[0]['id']}/messages")).json()["data"]
        assert [(m["body"], m["endUser"]["id"]) for m in history if m["endUser"]] == [("It's Ann", ann["id"])]
