"""`GET/PUT /widget-settings`: partial updates, validation, the read-only site key, and what the widget sees."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from parley.services.context import Services
from parley.storage.models import Workspace
from tests.api.widget.test_reviews import assert_error
from tests.conftest import Api

DEFAULTS = {
    "title": "Chat with us",
    "accentColor": "#2563eb",
    "greeting": "",
    "awayMessage": "",
    "allowedOrigins": [],
    "autoAssign": False,
    "awayRepeatHours": 24,
    "askEmailAfterSeconds": 60,
    "botName": "Parley bot",
}


async def test_defaults_then_a_partial_put_changes_only_what_it_names(api: Api, other_api: Api) -> None:
    initial = await api.ok("GET", "/widget-settings")
    site_key = initial.pop("siteKey")
    assert initial == DEFAULTS and isinstance(site_key, str) and site_key

    changed = await api.ok(
        "PUT",
        "/widget-settings",
        json={"title": "Help", "accentColor": "#AABBCC", "greeting": "Hi!", "botName": "Robin", "siteKey": "mine"},
    )
    expected = DEFAULTS | {"title": "Help", "accentColor": "#aabbcc", "greeting": "Hi!", "botName": "Robin"}
    assert changed == expected | {"siteKey": site_key}, "siteKey is read-only"

    again = await api.ok(
        "PUT",
        "/widget-settings",
        json={"autoAssign": True, "awayRepeatHours": 720, "askEmailAfterSeconds": 0, "title": None},
    )
    changes = {"autoAssign": True, "awayRepeatHours": 720, "askEmailAfterSeconds": 0, "siteKey": site_key}
    assert again == expected | changes, "absent or null keeps the value"
    assert await api.ok("GET", "/widget-settings") == again
    assert (await other_api.ok("GET", "/widget-settings"))["title"] == "Chat with us"


async def test_origins_are_checked_and_kept_as_browsers_send_them(api: Api) -> None:
    origins = ["https://example.com:443", "http://localhost:8080", "https://example.com", "http://[::1]:80"]
    saved = await api.ok("PUT", "/widget-settings", json={"allowedOrigins": origins})
    assert saved["allowedOrigins"] == ["https://example.com", "http://localhost:8080", "http://[::1]"]
    cleared = await api.ok("PUT", "/widget-settings", json={"allowedOrigins": []})
    assert cleared["allowedOrigins"] == []


INVALID: list[dict[str, Any]] = [
    {"accentColor": "red"},
    {"accentColor": "#12345"},
    {"accentColor": "#1234567"},
    {"allowedOrigins": ["example.com"]},
    {"allowedOrigins": ["https://example.com/"]},
    {"allowedOrigins": ["https://example.com/path"]},
    {"allowedOrigins": ["ftp://example.com"]},
    {"allowedOrigins": ["https://Example.com"]},
    {"allowedOrigins": ["https://example.com:0"]},
    {"allowedOrigins": ["https://example.com:70000"]},
    {"allowedOrigins": "https://example.com"},
    {"autoAssign": "yes"},
    {"autoAssign": 1},
    {"botName": ""},
    {"title": "t" * 201},
    {"greeting": 5},
    {"awayRepeatHours": 0},
    {"askEmailAfterSeconds": -1},
    {"askEmailAfterSeconds": 86_401},
    {"askEmailAfterSeconds": "60"},
    {"awayRepeatHours": 721},
    {"awayRepeatHours": "24"},
    {"awayRepeatHours": 24.5},
    {"awayRepeatHours": True},
]


async def test_invalid_settings_are_refused_and_change_nothing(api: Api) -> None:
    before = await api.ok("GET", "/widget-settings")
    for body in INVALID:
        assert_error(await api.call("PUT", "/widget-settings", json=body), 422, "validation_error")
    too_long = "x" * 10_001
    for key in ("greeting", "awayMessage"):
        assert_error(await api.call("PUT", "/widget-settings", json={key: too_long}), 422, "validation_error")
    assert await api.ok("GET", "/widget-settings") == before


async def test_the_widget_sees_the_new_settings_and_its_origin_list(api: Api, client: httpx.AsyncClient) -> None:
    site_key = (await api.ok("GET", "/widget-settings"))["siteKey"]
    body = {"title": "Support", "awayMessage": "Back soon", "allowedOrigins": ["https://shop.example"]}
    await api.ok("PUT", "/widget-settings", json=body)

    refused = await client.post(
        "/api/widget/v1/session", json={"siteKey": site_key}, headers={"Origin": "https://x.io"}
    )
    assert_error(refused, 403, "origin_not_allowed")
    session = await client.post(
        "/api/widget/v1/session", json={"siteKey": site_key}, headers={"Origin": "https://shop.example"}
    )
    assert session.status_code == 200, session.text
    settings = session.json()["data"]["settings"]
    assert settings == {
        "title": "Support",
        "accentColor": "#2563eb",
        "greeting": "",
        "awayMessage": "Back soon",
        "away": True,  # no agent is online
        "backAt": None,  # no business hours
        "askEmailAfterSeconds": 60,
    }


async def test_the_bot_name_is_the_name_on_its_messages(api: Api) -> None:
    await api.ok("PUT", "/widget-settings", json={"botName": "Robin"})
    conversation = await api.conversation()
    agent = await api.agent()
    await api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})
    message = await api.ok("POST", f"/conversation/{conversation['id']}/request-review")
    assert message["bot"]["name"] == "Robin"


async def test_settings_another_parley_stored_are_read_and_their_unknown_keys_kept(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    """An existing database's settings JSON may lack keys, hold keys this version does not know, or a hand-edited
    value of another type or out of range: the API and the widget still answer, and a partial PUT leaves the rest of
    the JSON as is."""
    stored = {"title": "Old shop", "theme": "dark", "autoAssign": "yes", "awayRepeatHours": 0}
    statement = update(Workspace).where(Workspace.id == api.workspace_id).values(settings=stored)
    await services.db.write(lambda tx: tx.conn.execute(statement))

    settings = await api.ok("GET", "/widget-settings")
    site_key = settings.pop("siteKey")
    assert settings == {
        "title": "Old shop",
        "accentColor": "",
        "greeting": "",
        "awayMessage": "",
        "allowedOrigins": [],
        "autoAssign": False,
        "awayRepeatHours": 24,
        "askEmailAfterSeconds": 60,
        "botName": "Parley bot",
    }
    session = await client.post(
        "/api/widget/v1/session", json={"siteKey": site_key}, headers={"Origin": "https://anywhere.example"}
    )
    assert session.status_code == 200, session.text
    assert session.json()["data"]["settings"] == {
        "title": "Old shop",
        "accentColor": "",
        "greeting": "",
        "awayMessage": "",
        "away": True,
        "backAt": None,
        "askEmailAfterSeconds": 60,
    }

    await api.ok("PUT", "/widget-settings", json={"awayMessage": "Back soon"})
    query = select(Workspace.settings).where(Workspace.id == api.workspace_id)
    kept = await services.db.read(lambda conn: conn.scalar(query))
    assert kept == stored | {"awayMessage": "Back soon"}
