"""`GET/PUT /business-hours` on both APIs, and what they change: the widget's `away` and `backAt`, and the bot's
away message outside business hours."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from parley.services import business_hours
from parley.services.context import Services
from parley.storage.models import Workspace
from tests.api.agent.test_admin_routes import call, console_token
from tests.api.external.test_bot import bodies, visitor_says
from tests.api.widget.test_reviews import assert_error
from tests.conftest import Api, connect_console

DEFAULT = {
    "enabled": False,
    "timezone": "UTC",
    "weekly": {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "holidays": [],
}
NINE_TO_FIVE = [["09:00", "17:30"]]
OFFICE = {
    "enabled": True,
    "timezone": "Europe/Berlin",
    "weekly": {"mon": NINE_TO_FIVE, "tue": NINE_TO_FIVE, "wed": NINE_TO_FIVE, "thu": NINE_TO_FIVE, "fri": NINE_TO_FIVE},
    "holidays": ["2026-12-25"],
}


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


async def test_the_default_then_a_put_round_trip_on_one_workspace_only(api: Api, other_api: Api) -> None:
    assert await api.ok("GET", "/business-hours") == DEFAULT

    body = {**OFFICE, "weekly": {**OFFICE["weekly"], "sat": [["14:00", "24:00"], ["00:00", "02:00"]]}}
    body["holidays"] = ["2026-12-26", "2026-12-25", "2026-12-25"]
    saved = await api.ok("PUT", "/business-hours", json=body)
    expected = {
        **OFFICE,
        "weekly": {**DEFAULT["weekly"], **OFFICE["weekly"], "sat": [["00:00", "02:00"], ["14:00", "24:00"]]},
        "holidays": ["2026-12-25", "2026-12-26"],
    }
    assert saved == expected, "every day named, ranges and holidays sorted, holidays once"
    assert await api.ok("GET", "/business-hours") == expected
    assert await other_api.ok("GET", "/business-hours") == DEFAULT, "another workspace's are its own"

    closed = await api.ok("PUT", "/business-hours", json={"enabled": False, "timezone": "Asia/Tokyo", "weekly": {}})
    assert closed == {**DEFAULT, "timezone": "Asia/Tokyo"}, "a PUT replaces the whole schedule"


def office(**changes: Any) -> dict[str, Any]:
    return {**OFFICE, **changes}


INVALID: list[dict[str, Any]] = [
    office(timezone="Mars/Olympus_Mons"),
    office(timezone="europe/berlin"),
    office(timezone=""),
    office(timezone="../../etc/passwd"),
    office(weekly={"mon": [["9:00", "17:00"]]}),
    office(weekly={"mon": [["09:00", "24:01"]]}),
    office(weekly={"mon": [["09:60", "17:00"]]}),
    office(weekly={"mon": [["09:00"]]}),
    office(weekly={"mon": [["09:00", "17:00", "18:00"]]}),
    office(weekly={"mon": [["17:00", "09:00"]]}),
    office(weekly={"mon": [["09:00", "09:00"]]}),
    office(weekly={"mon": [["22:00", "02:00"]]}),
    office(weekly={"mon": [["09:00", "12:00"], ["11:59", "17:00"]]}),
    office(weekly={"mon": [["09:00", "17:00"], ["10:00", "11:00"]]}),
    office(weekly={"monday": NINE_TO_FIVE}),
    office(weekly={"mon": "09:00-17:00"}),
    office(weekly={"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(9)]}),
    office(holidays=["2026-02-30"]),
    office(holidays=["25.12.2026"]),
    office(holidays=["2026-12-25T00:00"]),
    office(holidays=[f"2026-01-{d:02d}" for d in range(1, 32)] * 12),
    office(enabled="yes"),
    {"timezone": "UTC", "weekly": {}},
    {"enabled": True, "weekly": {}},
]


async def test_every_invalid_schedule_is_a_422_and_stores_nothing(api: Api) -> None:
    before = await api.ok("PUT", "/business-hours", json=OFFICE)
    for body in INVALID:
        response = await api.call("PUT", "/business-hours", json=body)
        assert_error(response, 422, "validation_error")
        assert response.json()["error"]["message"], body
    assert await api.ok("GET", "/business-hours") == before
    adjacent = office(weekly={"mon": [["09:00", "12:00"], ["12:00", "17:00"]]})
    assert (await api.ok("PUT", "/business-hours", json=adjacent))["weekly"]["mon"] == [
        ["09:00", "12:00"],
        ["12:00", "17:00"],
    ]
    most = office(weekly={"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(8)]}, holidays=["2026-01-01"] * 366)
    assert len((await api.ok("PUT", "/business-hours", json=most))["weekly"]["mon"]) == 8


async def test_the_change_is_audited_and_the_console_serves_it_to_admins_only(api: Api) -> None:
    await api.ok("PUT", "/business-hours", json=OFFICE)
    [entry] = [e for e in await api.ok("GET", "/audit-log") if e["action"] == "business_hours.updated"]
    assert entry["details"] == {"enabled": True, "timezone": "Europe/Berlin"}
    assert entry["actor"]["type"] == "api_token"

    admin, admin_token = await console_token(api, "admin-1", "admin")
    seen = await call(api, admin_token, "GET", "/business-hours")
    assert seen.status_code == 200 and seen.json()["data"]["timezone"] == "Europe/Berlin"
    changed = await call(api, admin_token, "PUT", "/business-hours", json=office(timezone="America/New_York"))
    assert changed.status_code == 200 and changed.json()["data"]["timezone"] == "America/New_York"
    refused = await call(api, admin_token, "PUT", "/business-hours", json=office(timezone="Nowhere"))
    assert_error(refused, 422, "validation_error")
    latest = (await api.ok("GET", "/audit-log"))[0]
    assert (latest["action"], latest["actor"]["type"], latest["actor"]["id"]) == (
        "business_hours.updated",
        "agent",
        admin["id"],
    )

    _, agent_token = await console_token(api, "agent-1", "agent")
    for method, body in (("GET", None), ("PUT", OFFICE)):
        assert_error(await call(api, agent_token, method, "/business-hours", json=body), 403, "forbidden")
    assert (await api.ok("GET", "/business-hours"))["timezone"] == "America/New_York"


async def test_widget_settings_and_business_hours_keep_each_others_keys(api: Api) -> None:
    """Both live in the workspace's settings JSON: concurrent PUTs of each leave the other's as it was sent."""
    await asyncio.gather(
        *(api.ok("PUT", "/widget-settings", json={"title": f"Help {i}"}) for i in range(5)),
        *(api.ok("PUT", "/business-hours", json=office(timezone=zone)) for zone in ("Asia/Tokyo", "Europe/Paris")),
    )
    assert (await api.ok("GET", "/widget-settings"))["title"].startswith("Help ")
    assert (await api.ok("GET", "/business-hours"))["timezone"] in ("Asia/Tokyo", "Europe/Paris")
    await api.ok("PUT", "/widget-settings", json={"greeting": "Hi"})
    assert (await api.ok("GET", "/business-hours"))["weekly"]["mon"] == NINE_TO_FIVE


async def test_business_hours_another_parley_stored_are_read_leniently_and_kept_by_widget_puts(
    api: Api, services: Services
) -> None:
    """A hand-edited `businessHours` (a mistyped flag, an unknown zone, a backwards range, a bad date) still reads,
    as what can be made of it; a widget-settings PUT leaves it as stored."""
    stored = {
        "title": "Old shop",
        "businessHours": {
            "enabled": "yes",
            "timezone": "Nowhere/Town",
            "weekly": {"mon": [["17:00", "09:00"], ["09:00", "12:00"], "10-11"], "someday": [["01:00", "02:00"]]},
            "holidays": ["soon", "2026-12-25", 7],
        },
    }
    statement = update(Workspace).where(Workspace.id == api.workspace_id).values(settings=stored)
    await services.db.write(lambda tx: tx.conn.execute(statement))
    expected = {**DEFAULT, "weekly": {**DEFAULT["weekly"], "mon": [["09:00", "12:00"]]}, "holidays": ["2026-12-25"]}
    assert await api.ok("GET", "/business-hours") == expected
    await api.ok("PUT", "/widget-settings", json={"title": "New shop"})
    query = select(Workspace.settings).where(Workspace.id == api.workspace_id)
    kept = await services.db.read(lambda conn: conn.scalar(query))
    assert kept == {**stored, "title": "New shop"}


def clock_at(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    """The business hours' clock set to `text` (UTC)."""
    instant = utc(text)
    monkeypatch.setattr(business_hours, "now_seconds", lambda: instant)
    return instant


async def widget_settings(api: Api, client: httpx.AsyncClient) -> dict[str, Any]:
    site_key = (await api.ok("GET", "/widget-settings"))["siteKey"]
    response = await client.post("/api/widget/v1/session", json={"siteKey": site_key})
    assert response.status_code == 200, response.text
    settings: dict[str, Any] = response.json()["data"]["settings"]
    return settings


async def test_the_widget_says_whether_the_team_is_away_and_when_it_is_back(
    api: Api, client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await api.agent()
    clock_at(monkeypatch, "2026-01-14 07:00")  # a Wednesday, 08:00 in Berlin
    assert (await widget_settings(api, client))["away"] is True, "no business hours, and no agent online"
    await connect_console(services, api.workspace_id, agent["id"])
    settings = await widget_settings(api, client)
    assert (settings["away"], settings["backAt"]) == (False, None), "no business hours, an agent online"

    await api.ok("PUT", "/business-hours", json=OFFICE)
    settings = await widget_settings(api, client)
    assert (settings["away"], settings["backAt"]) == (True, utc("2026-01-14 08:00")), "closed: back at 09:00 Berlin"
    clock_at(monkeypatch, "2026-01-16 16:30")  # Friday 17:30 in Berlin: closed until Monday
    assert (await widget_settings(api, client))["backAt"] == utc("2026-01-19 08:00")
    clock_at(monkeypatch, "2026-01-14 10:00")
    settings = await widget_settings(api, client)
    assert (settings["away"], settings["backAt"]) == (False, None), "open, an agent online"
    await api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "away"})
    settings = await widget_settings(api, client)
    assert (settings["away"], settings["backAt"]) == (True, None), "open, but no agent online"

    await api.ok("PUT", "/business-hours", json={**OFFICE, "weekly": {}})
    settings = await widget_settings(api, client)
    assert (settings["away"], settings["backAt"]) == (True, None), "enabled and never open: no time to promise"
    await api.ok("PUT", "/business-hours", json={**OFFICE, "enabled": False})
    await api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "online"})
    assert (await widget_settings(api, client))["away"] is False, "disabled: only agents count"


async def test_the_away_message_is_posted_outside_business_hours_with_an_agent_online(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await api.agent()
    await connect_console(services, api.workspace_id, agent["id"])
    await api.ok("PUT", "/widget-settings", json={"awayMessage": "We are away"})
    await api.ok("PUT", "/business-hours", json=OFFICE)

    clock_at(monkeypatch, "2026-01-14 10:00")  # open, an agent online
    open_hours = (await api.conversation())["id"]
    await visitor_says(api, open_hours, "hi")
    assert await bodies(api, open_hours) == ["hi"]

    clock_at(monkeypatch, "2026-01-14 20:00")  # 21:00 in Berlin
    after_hours = (await api.conversation())["id"]
    await visitor_says(api, after_hours, "anyone?")
    await visitor_says(api, after_hours, "hello?")
    assert await bodies(api, after_hours) == ["anyone?", "bot: We are away", "hello?"], "once, as ever"

    clock_at(monkeypatch, "2026-12-25 10:00")  # a Friday, but a holiday
    holiday = (await api.conversation())["id"]
    await visitor_says(api, holiday, "merry christmas")
    assert await bodies(api, holiday) == ["merry christmas", "bot: We are away"]
