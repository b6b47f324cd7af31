"""The console's conversation list: who each row is, what it says to a screen reader, and how it looks when
focused or selected."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Locator, expect

from tests.web.conftest import NewContext, WebServer
from tests.web.console_support import Workspace, new_visitor, open_console, row

pytestmark = pytest.mark.asyncio(loop_scope="module")

WCAG_TEXT_CONTRAST = 4.5
WCAG_FOCUS_CONTRAST = 3.0


def rgb(css_colour: str) -> tuple[float, float, float]:
    """`rgb(r, g, b)` or `rgba(r, g, b, 1)` as computed styles give it."""
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, 1)?\)", css_colour)
    assert found, f"not an opaque colour: {css_colour}"
    red, green, blue = (int(channel) for channel in found.groups())
    return red, green, blue


def contrast(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two colours."""

    def luminance(css_colour: str) -> float:
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb(css_colour)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


async def style(locator: Locator, *properties: str) -> list[str]:
    values: list[str] = await locator.evaluate(
        "(el, names) => names.map((name) => getComputedStyle(el)[name])", list(properties)
    )
    return values


async def test_visitors_are_called_by_their_stored_names(server: WebServer, new_context: NewContext) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        anonymous = await new_visitor(http, server)
        said = await anonymous.says("Hello from a visitor with no account")
        workspace = Workspace(http, server)
        stored = await workspace.call("GET", f"/end-users/{anonymous.end_user['id']}")
        assert stored["name"], "an anonymous visitor gets a name, stored"
        known = await workspace.conversation(email="lee@example.com")
        await workspace.visitor_says(known, "Hello from a visitor known by email")
        page = await open_console(new_context, server)

        anonymous_row = row(page, said["conversationId"])
        await expect(anonymous_row.locator(".name")).to_have_text(stored["name"])
        await anonymous_row.click()
        await expect(page.get_by_role("heading", name=stored["name"])).to_be_visible()
        await expect(row(page, known).locator(".name")).to_have_text("lee@example.com")


async def test_a_row_tells_a_screen_reader_who_what_when_its_status_holder_and_labels(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        conversation = await workspace.conversation(name="Rowena Label")
        await workspace.visitor_says(conversation, "Where is my parcel?")
        await workspace.call("POST", f"/conversation/{conversation}/assign-agent", {"agentId": server.agent_id})
        await workspace.call("POST", f"/conversation/{conversation}/lock")
        await workspace.call("PUT", f"/conversation/{conversation}/labels", {"labels": ["vip", "parcels"]})
        await workspace.call("POST", f"/conversation/{conversation}/status", {"status": "pending"})
        page = await open_console(new_context, server)
        await page.locator('.views [data-view="pending"]').click()

        labelled = row(page, conversation)
        await expect(labelled.locator(".tags")).to_contain_text("Locked")
        shown_time = await labelled.locator(".time").inner_text()
        label = await labelled.get_attribute("aria-label")
        assert label == (
            f"Rowena Label, 1 unread, Where is my parcel?, {shown_time}, Pending, Assigned to you, Locked, "
            "Labels: parcels, vip"
        )
        await expect(page.get_by_role("button", name=label, exact=True)).to_have_count(1)


async def test_the_rows_focus_ring_shows_inside_the_list_and_a_selected_row_reads_well(
    server: WebServer, new_context: NewContext
) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        workspace = Workspace(http, server)
        focused_one = await workspace.conversation(name="Fiona Focus")
        await workspace.visitor_says(focused_one, "Is anyone there?")
        selected_one = await workspace.conversation(name="Selma Selected")
        await workspace.visitor_says(selected_one, "I picked the blue one")
        page = await open_console(new_context, server)

    # Reached with the keyboard, the row shows a ring drawn inside it (the scrolling list would clip one around it).
    focused = row(page, focused_one)
    await focused.focus()
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Tab")
    await expect(focused).to_be_focused()
    assert await focused.evaluate("el => el.matches(':focus-visible')")
    ring_style, ring_width, ring_offset, ring_colour, background = await style(
        focused, "outlineStyle", "outlineWidth", "outlineOffset", "outlineColor", "backgroundColor"
    )
    assert ring_style != "none" and float(ring_width.removesuffix("px")) >= 2
    assert float(ring_offset.removesuffix("px")) <= -float(ring_width.removesuffix("px")), "drawn inside the row"
    assert contrast(ring_colour, background) >= WCAG_FOCUS_CONTRAST

    # The selected row's secondary text (preview and time) reads at 4.5:1 on its background.
    selected = row(page, selected_one)
    await selected.click()
    await expect(selected).to_have_attribute("aria-current", "true")
    (selected_background,) = await style(selected, "backgroundColor")
    for part in (selected.locator(".preview"), selected.locator(".time")):
        (colour,) = await style(part, "color")
        assert contrast(colour, selected_background) >= WCAG_TEXT_CONTRAST, (colour, selected_background)


async def test_a_confirmed_review_is_previewed_as_its_rating(server: WebServer, new_context: NewContext) -> None:
    async with httpx.AsyncClient(base_url=server.base) as http:
        visitor = await new_visitor(http, server)
        said = await visitor.says("Thanks for the help")
        conversation = said["conversationId"]
        workspace = Workspace(http, server)
        await workspace.call("POST", f"/conversation/{conversation}/assign-agent", {"agentId": server.agent_id})
        page = await open_console(new_context, server)
        preview = row(page, conversation).locator(".preview")
        request = await workspace.call("POST", f"/conversation/{conversation}/request-review")
        await expect(preview).to_contain_text("Review requested")

        await visitor.rates(request["review"]["id"], 4, "Quick and kind")
        await expect(preview).to_have_text("Rated 4 out of 5: “Quick and kind”")
        await page.reload()
        await expect(preview).to_have_text("Rated 4 out of 5: “Quick and kind”")
