"""Credentials stay with their owners. Nothing an agent receives, answer or websocket frame, carries a visitor's
`websocketToken` (with one, an agent rated themself 5 stars and posted as the visitor); nothing a visitor receives
carries an agent's token or another visitor's.

The day below calls every route of the agent API and of the widget API that OpenAPI lists, and the tests fail on a
listed route it did not call: a new route has to join the day, and so is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from parley.config import Settings
from parley.schemas import MAX_CURSOR
from parley.services import audit, sessions, workspaces
from tests.realtime.conftest import Live
from tests.support.live import open_socket
from tests.support.smtp import smtp_server

AGENT_API = "/api/agent/v1"
WIDGET_API = "/api/widget/v1"
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
Route = tuple[str, str]  # method, path as OpenAPI lists it under the API's prefix


@pytest.fixture
def realtime_settings(realtime_settings: Settings) -> Iterator[Settings]:
    """Mail on, so that the day's invitations and resets are queued, and the mail routes have mail to show."""
    with smtp_server() as mailbox:
        yield realtime_settings.model_copy(
            update={"smtp_url": SecretStr(mailbox.url), "mail_from": "parley@example.com"}
        )


@dataclass
class Caller:
    """One party's HTTP client, keeping every route it called and the raw text of every answer it received."""

    http: httpx.AsyncClient
    prefix: str
    token: str | None
    called: set[Route] = field(default_factory=set)
    received: dict[str, str] = field(default_factory=dict)  # "POST /conversations/{id}/lock #2": its answer

    async def call(self, method: str, route: str, ids: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """`route` as OpenAPI names it (`/conversations/{id}/lock`), its parameters filled from `ids`."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        path = self.prefix + route.format(**(ids or {}))
        response = await self.http.request(method, path, headers=headers, **kwargs)
        assert response.is_success, f"{method} {route}: {response.status_code} {response.text}"
        self.called.add((method, route))
        self.received[f"{method} {route} #{len(self.received)}"] = response.text
        return response.json()["data"]

    def routes_not_called(self, openapi: dict[str, Any]) -> set[Route]:
        listed = {
            (method.upper(), path.removeprefix(self.prefix))
            for path, operations in openapi["paths"].items()
            if path.startswith(f"{self.prefix}/")
            for method in operations
            if method in HTTP_METHODS
        }
        return listed - self.called


@dataclass
class Day:
    """What each party received during a day of support, and the credentials of everyone in it."""

    openapi: dict[str, Any]
    console: Caller
    widget: Caller
    agent_frames: dict[str, str]  # "conversation.locked #12": the frame
    visitor_frames: dict[str, str]
    agent_tokens: list[str]
    visitor_token: str  # the visitor of `widget`
    other_visitor_token: str


def is_unlocked(frame: dict[str, Any]) -> bool:
    return bool(frame["event"] == "conversation.unlocked")


async def a_day_of_support(live: Live) -> Day:
    """Ann chats from the widget with an admin who calls every agent route, the admin pages' too; Bob, identified
    by the integrator, writes in another conversation; an agent socket listens live and then replays from the
    start."""
    _, agent_token = await live.agent_with_token(role="admin")
    _, colleague_token = await live.agent_with_token("agent-2")
    bob = await live.api.conversation(name="Bob")
    await live.api.ok("POST", f"/conversation/{bob['id']}/send-text-message", json={"uuid": "bob-1", "text": "Hi"})
    console = Caller(live.http, AGENT_API, agent_token)
    widget = Caller(live.http, WIDGET_API, None)
    text_file = {"file": ("order.txt", b"Order 1234", "text/plain")}
    async with open_socket(f"{live.ws_base}{AGENT_API}/ws?token={agent_token}&after=0") as agent_socket:
        session = await widget.call("POST", "/session", json={"siteKey": live.site_key})
        widget.token = session["endUser"]["websocketToken"]
        async with open_socket(f"{live.ws_base}{WIDGET_API}/ws?token={widget.token}&after=0") as visitor_socket:
            opening = await widget.call("POST", "/messages", json={"uuid": "ann-1", "text": "Where is my order?"})
            ann = {"id": opening["conversationId"]}
            await widget.call("POST", "/files", data={"uuid": "ann-2"}, files=text_file)
            me = await console.call("GET", "/me")
            await console.call("PUT", "/webhook", json={"url": "http://127.0.0.1:9/hook"})  # deliveries to list
            await console.call("PUT", "/me/availability", json={"availability": "online"})
            await console.call("PUT", "/me/notifications", json={"emailNotifications": True})
            await console.call("GET", "/conversations")
            found = await console.call("GET", "/search", params={"q": "where is my ord"})
            assert [entry["conversation"]["id"] for entry in found] == [opening["conversationId"]]
            await console.call("POST", "/conversations/{id}/assign", ann)
            await console.call("POST", "/conversations/{id}/messages", ann, json={"uuid": "a-1", "text": "On its way"})
            await console.call("POST", "/conversations/{id}/files", ann, data={"uuid": "a-2"}, files=text_file)
            await console.call("POST", "/conversations/{id}/notes", ann, json={"uuid": "a-3", "text": "Check stock"})
            canned = await console.call("POST", "/canned-responses", json={"shortcut": "eta", "text": "2-3 days"})
            await console.call("PUT", "/canned-responses/{id}", canned, json={"text": "3-5 days"})
            await console.call("GET", "/canned-responses")
            await console.call("DELETE", "/canned-responses/{id}", canned)
            await console.call("POST", "/conversations/{id}/typing", ann, json={"typing": True})
            await console.call("POST", "/conversations/{id}/read", ann, json={"until": MAX_CURSOR})
            asked = await console.call("POST", "/conversations/{id}/request-review", ann)
            await widget.call("GET", "/messages")
            await widget.call("POST", "/read", json={"until": MAX_CURSOR})
            await widget.call("POST", "/typing", json={"typing": True})
            await widget.call("PUT", "/me", json={"email": "visitor@example.net", "name": "Vera"})
            review = {"id": asked["review"]["id"]}
            await widget.call("POST", "/reviews/{id}", review, json={"mark": 5, "text": "Quick"})
            await widget.call("POST", "/reviews/{id}/confirm", review)
            await console.call("GET", "/conversations/{id}", ann)
            await console.call("GET", "/conversations/{id}/messages", ann)
            await console.call("POST", "/conversations/{id}/unassign", ann)
            await console.call("POST", "/conversations/{id}/lock", ann)
            await console.call("POST", "/conversations/{id}/unlock", ann)
            await console.call("POST", "/conversations/{id}/notes", ann, json={"uuid": "n-1", "text": "Ann is kind"})
            await console.call("PUT", "/conversations/{id}/labels", ann, json={"labels": ["billing"]})
            await console.call("POST", "/conversations/{id}/status", ann, json={"status": "resolved"})
            await console.call("GET", "/conversations/{id}/activity", ann)
            await console.call("GET", "/conversations/counts")
            await console.call("GET", "/labels")
            canned = {
                "id": (await console.call("POST", "/canned-responses", json={"shortcut": "hi", "text": "Hi!"}))["id"]
            }
            await console.call("PUT", "/canned-responses/{id}", canned, json={"text": "Hello!"})
            await console.call("GET", "/canned-responses")
            await console.call("DELETE", "/canned-responses/{id}", canned)
            await the_admin_pages(live, console, me["workspace"]["id"])
            visitor_frames = await visitor_socket.events_until(is_unlocked)
        agent_frames = await agent_socket.events_until(is_unlocked)
    async with open_socket(f"{live.ws_base}{AGENT_API}/ws?token={agent_token}&after=0") as replay:
        agent_frames += await replay.events_until(is_unlocked)
    return Day(
        openapi=(await live.http.get("/openapi.json")).json(),
        console=console,
        widget=widget,
        agent_frames=labelled(agent_frames),
        visitor_frames=labelled(visitor_frames),
        agent_tokens=[agent_token, colleague_token],
        visitor_token=widget.token,
        other_visitor_token=bob["endUser"]["websocketToken"],
    )


async def the_admin_pages(live: Live, console: Caller, workspace_id: str) -> None:
    """Every admin route, and a colleague invited, signed in, reset and signed out (with the console's token swapped
    for theirs, or none, so that the routes count as called)."""
    admin_token = console.token
    await console.call("GET", "/widget-settings")
    await console.call("PUT", "/widget-settings", json={"title": "Help"})
    await console.call("GET", "/agents")
    cleo = await console.call("POST", "/agents", json={"serviceUserId": "cleo", "name": "Cleo", "email": "c@x.io"})
    await console.call("GET", "/agents/{id}", cleo)
    await console.call("PUT", "/agents/{id}", cleo, json={"role": "admin"})
    invitation = await console.call("POST", "/agents/{id}/invite", cleo)
    console.token = None
    password = {"password": "cleo's long password"}
    token = invitation["inviteUrl"].split("#token=")[1]
    await console.call("POST", "/invitations/accept", json={"token": token, **password})
    sign_in = {"workspaceId": workspace_id, "email": "c@x.io"}
    await console.call("POST", "/sessions", json={**sign_in, **password})
    await console.call("POST", "/password-reset", json=sign_in)
    await live.services.deferred.close(10)  # the reset asked for above issues a link, which would end this one
    workspace = await workspaces.get_workspace(live.services, workspace_id)
    assert workspace is not None
    reset = await sessions.issue_link(live.services, workspace, cleo["id"], sessions.RESET, audit.CLI, by_mail=False)
    console.token = (
        await console.call("POST", "/password-reset/confirm", json={"token": reset.url.split("#token=")[1], **password})
    )["token"]
    await console.call("DELETE", "/sessions/current")
    console.token = admin_token
    cleos = await console.call("GET", "/agents/{id}/tokens", cleo)
    await console.call("POST", "/agents/{id}/tokens", cleo)
    tokens = {"id": cleo["id"], "tokenId": (await console.call("GET", "/agents/{id}/tokens", cleo))[-1]["id"]}
    assert cleos == []  # the session was signed out
    await console.call("DELETE", "/agents/{id}/tokens/{tokenId}", tokens)
    created = await console.call("POST", "/api-tokens", json={"name": "zapier"})
    await console.call("GET", "/api-tokens")
    await console.call("DELETE", "/api-tokens/{id}", created)
    await console.call("GET", "/webhook")
    await console.call("GET", "/webhook/events")
    await console.call("POST", "/webhook/rotate-secret")
    deliveries = await console.call("GET", "/webhook/deliveries")
    await console.call("POST", "/webhook/deliveries/{id}/redeliver", deliveries[0])
    await console.call("GET", "/audit-log")
    await console.call("GET", "/audit-log/actions")
    await console.call("GET", "/business-hours")
    await console.call("PUT", "/business-hours", json={"enabled": True, "timezone": "Europe/Berlin", "weekly": {}})
    await console.call("GET", "/mail")
    mailed = await console.call("GET", "/mail/outbox")
    await console.call("POST", "/mail/outbox/{id}/retry", mailed[0])


def labelled(frames: list[dict[str, Any]]) -> dict[str, str]:
    return {f"{frame['event']} #{number}": json.dumps(frame) for number, frame in enumerate(frames)}


def websocket_tokens(raw: str) -> set[str]:
    """Every `websocketToken` that is not null, at any depth of a JSON text."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("websocketToken") is not None:
                found.add(value["websocketToken"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(json.loads(raw))
    return found


def carrying(received: dict[str, str], secrets: list[str], own_token: str | None = None) -> list[str]:
    """What received one of `secrets`, or a `websocketToken` other than the receiver's own."""
    return [
        label
        for label, raw in received.items()
        if any(secret in raw for secret in secrets) or websocket_tokens(raw) - {own_token}
    ]


async def test_no_answer_or_frame_to_an_agent_carries_a_visitors_token(live: Live) -> None:
    day = await a_day_of_support(live)
    assert day.console.routes_not_called(day.openapi) == set(), "every agent route must be part of the day"
    assert len(day.agent_frames) > 10 and any('"websocketToken": null' in frame for frame in day.agent_frames.values())
    visitors = [day.visitor_token, day.other_visitor_token]
    assert carrying(day.console.received, visitors) == []
    assert carrying(day.agent_frames, visitors) == []


async def test_no_answer_or_frame_to_a_visitor_carries_an_agents_token_or_another_visitors(live: Live) -> None:
    day = await a_day_of_support(live)
    assert day.widget.routes_not_called(day.openapi) == set(), "every widget route must be part of the day"
    strangers = [*day.agent_tokens, day.other_visitor_token]
    assert carrying(day.widget.received, strangers, day.visitor_token) == []
    assert carrying(day.visitor_frames, strangers, day.visitor_token) == []
