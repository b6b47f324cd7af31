"""A visitor leaves their email (and name) from the widget: the External API shows it, answers they leave unread
are mailed there, and nothing but a plausible address is taken."""

from __future__ import annotations

import httpx
import pytest

from tests.api.widget.test_reviews import widget
from tests.api.widget.test_session import anonymous_visitor, ok, resumed_session
from tests.conftest import Api


async def test_a_visitor_leaves_their_email_and_name(api: Api, client: httpx.AsyncClient) -> None:
    token, session = await anonymous_visitor(api, client)
    end_user_id = session["endUser"]["id"]
    changed = await ok(client, token, "PUT", "/me", json={"email": "vera@example.net"})
    assert changed["email"] == "vera@example.net" and changed["name"] == session["endUser"]["name"]
    assert changed["websocketToken"] == token  # their own view
    assert (await api.ok("GET", f"/end-users/{end_user_id}"))["email"] == "vera@example.net"  # at once

    renamed = await ok(client, token, "PUT", "/me", json={"name": "Vera Visitor"})
    assert renamed["email"] == "vera@example.net" and renamed["name"] == "Vera Visitor"  # absent keeps
    assert (await resumed_session(client, token))["endUser"]["name"] == "Vera Visitor"


@pytest.mark.parametrize(
    "body",
    [{"email": "not an email"}, {"email": "vera@"}, {"email": "a@b"}, {"email": 5}, {"name": ""}, {"email": "x" * 330}],
)
async def test_what_is_not_an_email_is_refused_and_nothing_changes(
    api: Api, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    token, session = await anonymous_visitor(api, client)
    refused = await widget(client, token, "PUT", "/me", json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
    assert (await api.ok("GET", f"/end-users/{session['endUser']['id']}"))["email"] is None


async def test_only_a_visitor_sets_their_own(api: Api, client: httpx.AsyncClient) -> None:
    refused = await client.put("/api/widget/v1/me", json={"email": "vera@example.net"})
    assert refused.status_code == 401
    forged = await widget(client, "not-a-token", "PUT", "/me", json={"email": "vera@example.net"})
    assert forged.status_code == 401
