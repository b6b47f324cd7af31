"""Business hours in the browser: the widget tells a visitor outside them when the team is back, on the visitor's
own clock and in their language; an owner sets them in the console, and is told what the server refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from parley.schemas.business_hours import WEEKDAYS
from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer
from tests.web.test_console_people import external, signed_in_as
from tests.web.widget_support import message_box, widget

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLOSED = {"enabled": False, "timezone": "UTC", "weekly": {}, "holidays": []}


async def test_the_widget_says_when_the_team_is_back_on_the_visitors_clock(
    server: WebServer, new_context: NewContext
) -> None:
    # Open one hour, 09:00-10:00 UTC, two days from now (UTC): closed now, whatever the time of day.
    now = datetime.now(UTC)
    opening_day = (now + timedelta(days=2)).date()
    back = datetime(opening_day.year, opening_day.month, opening_day.day, 9, tzinfo=UTC)
    hours = {**CLOSED, "enabled": True, "weekly": {WEEKDAYS[opening_day.weekday()]: [["09:00", "10:00"]]}}
    # The visitor in Tokyo (UTC+9 all year): 18:00 there, on a day said as "tomorrow" or by its name.
    tokyo = ZoneInfo("Asia/Tokyo")
    days = (back.astimezone(tokyo).date() - now.astimezone(tokyo).date()).days
    when = "tomorrow" if days == 1 else f"on {back.astimezone(tokyo):%A}"
    async with external(server) as http:
        assert (await http.put("/business-hours", json=hours)).status_code == 200
        try:
            context = await new_context(timezone_id="Asia/Tokyo", locale="en-GB")
            page = await context.new_page()
            await page.goto(server.demo_url)
            await page.get_by_role("button", name="Open chat").click()
            await message_box(page).wait_for()
            presence = widget(page).locator("header .presence")
            await expect(presence).to_have_text(f"We're away. We'll be back {when} at 18:00")
        finally:
            assert (await http.put("/business-hours", json=CLOSED)).status_code == 200


async def test_an_owner_sets_the_business_hours_and_sees_what_the_server_refuses(
    server: WebServer, new_context: NewContext
) -> None:
    page = await signed_in_as(server, new_context, "hana@example.com", "owner", "Hana")
    await page.get_by_role("button", name="Settings").click()
    await page.get_by_role("button", name="Business hours").click()
    await page.get_by_label("Outside these hours the team is away").check()
    await page.get_by_label("Time zone").select_option("Asia/Tokyo")
    await page.get_by_role("button", name="Add hours on Monday").click()
    await page.get_by_label("Monday opens (range 1)").fill("09:00")
    await page.get_by_label("Monday closes (range 1)").fill("08:00")
    await page.get_by_label("Holiday").fill("2026-12-25")
    await page.get_by_role("button", name="Add the holiday").click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert").filter(has_text="mon: 09:00-08:00")).to_be_visible()  # the server's 422

    await page.get_by_label("Monday closes (range 1)").fill("17:30")
    await page.get_by_role("button", name="Add hours on Friday").click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    async with external(server) as http:
        try:
            saved = await polled(
                lambda: http.get("/business-hours"), lambda answer: answer.json()["data"]["enabled"] is True
            )
            stored = saved.json()["data"]
            assert (stored["timezone"], stored["holidays"]) == ("Asia/Tokyo", ["2026-12-25"])
            assert stored["weekly"]["mon"] == [["09:00", "17:30"]]
            assert stored["weekly"]["fri"] == [["09:00", "17:00"]]
            assert stored["weekly"]["tue"] == []
        finally:
            await http.put("/business-hours", json=CLOSED)
