"""The console's inbox on the agent API: its folders (filters and counts), status and labels, each conversation's
activity log, and the events that tell an open console to read them again; only the caller's workspace."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from parley.services.context import Services
from tests.api.external.test_conversation_status import assert_error, set_status
from tests.api.external.test_labels import put_labels
from tests.conftest import Api, connect_console
from tests.realtime.conftest import Live
from tests.support.live import open_socket


class Console:
    """An agent's console over the in-process client: the agent, and calls of `/api/agent/v1` as them."""

    def __init__(self, api: Api, agent: dict[str, Any], token: str) -> None:
        self.api, self.agent, self.token = api, agent, token

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.api.client.request(method, f"/api/agent/v1{path}", headers=headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def listed(self, **params: Any) -> list[str]:
        return [row["conversation"]["id"] for row in await self.ok("GET", "/conversations", params=params)]


async def console_of(api: Api, service_user_id: str = "agent-1", name: str = "Vadim Belorusov") -> Console:
    agent = await api.agent(service_user_id, name=name)
    return Console(api, agent, (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"])


@pytest.fixture
async def me(api: Api) -> Console:
    return await console_of(api)


async def test_the_counts_are_the_folders(api: Api, other_api: Api, me: Console) -> None:
    colleague = await api.agent("agent-2")
    c = [(await api.conversation())["id"] for _ in range(10)]
    for index in (0, 1, 6):
        await me.ok("POST", f"/conversations/{c[index]}/assign")
    await api.ok("POST", f"/conversation/{c[2]}/assign-agent", json={"agentId": colleague["id"]})
    await set_status(api, c[6], "pending")
    await set_status(api, c[7], "snoozed", snoozedUntil=int(time.time()) + 3600)
    await set_status(api, c[8], "resolved")
    await set_status(api, c[9], "resolved")
    await other_api.conversation()  # another workspace's counts nowhere here

    counts = await me.ok("GET", "/conversations/counts")

    assert counts == {"mine": 2, "unassigned": 3, "open": 6, "pending": 1, "snoozed": 1, "resolved": 2}
    theirs = await console_of(other_api)
    assert await theirs.ok("GET", "/conversations/counts") == {
        "mine": 0,
        "unassigned": 1,
        "open": 1,
        "pending": 0,
        "snoozed": 0,
        "resolved": 0,
    }


async def test_the_list_takes_the_external_apis_filters_and_me(api: Api, other_api: Api, me: Console) -> None:
    c = [(await api.conversation())["id"] for _ in range(5)]
    await me.ok("POST", f"/conversations/{c[0]}/assign")
    await me.ok("POST", f"/conversations/{c[3]}/assign")
    await set_status(api, c[3], "pending")
    await put_labels(api, c[1], ["vip"])
    await api.ok("POST", f"/conversation/{c[4]}/send-text-message", json={"uuid": "w", "text": "Hello?"})
    stranger = await other_api.agent("stranger")

    assert await me.listed(assignee="me") == [c[3], c[0]]
    assert await me.listed(assignee="me", status="open") == [c[0]]
    assert await me.listed(assignee=me.agent["id"], status="pending") == [c[3]]
    assert await me.listed(assignee="none") == [c[4], c[2], c[1]]
    assert await me.listed(assignee=stranger["id"]) == []
    assert await me.listed(label=" VIP") == [c[1]]
    assert (await me.listed(sort="waiting"))[0] == c[4]
    assert await me.listed(status="open", limit=2, after=c[2]) == [c[1], c[0]]

    [row] = await me.ok("GET", "/conversations", params={"label": "vip"})
    assert set(row) == {"conversation", "lastMessage", "unreadCount"}
    assert row["conversation"]["labels"] == ["vip"] and row["conversation"]["status"] == "open"
    assert row["conversation"]["waitingSince"] is None and row["conversation"]["snoozedUntil"] is None
    [waiting] = await me.ok("GET", "/conversations", params={"sort": "waiting", "limit": 1})
    assert waiting["conversation"]["waitingSince"] == waiting["lastMessage"]["createdAt"]
    assert waiting["conversation"]["endUser"]["websocketToken"] is None
    for params in ({"status": "done"}, {"sort": "longest"}, {"label": ""}):
        assert_error(await me.call("GET", "/conversations", params=params), 422, "validation_error")


async def test_status_and_labels_are_set_as_on_the_external_api(api: Api, me: Console) -> None:
    cid = (await api.conversation())["id"]
    until = int(time.time()) + 600

    snoozed = await me.ok("POST", f"/conversations/{cid}/status", json={"status": "snoozed", "snoozedUntil": until})
    labelled = await me.ok("PUT", f"/conversations/{cid}/labels", json={"labels": ["Billing", " vip "]})

    assert (snoozed["status"], snoozed["snoozedUntil"]) == ("snoozed", until)
    assert labelled["labels"] == ["billing", "vip"] and labelled["status"] == "snoozed"
    assert labelled["endUser"]["websocketToken"] is None, "an agent never sees the visitor's credential"
    assert await me.ok("GET", "/labels") == [{"name": "billing", "count": 1}, {"name": "vip", "count": 1}]
    for body in ({"status": "snoozed"}, {"status": "open", "snoozedUntil": until}, {"status": "archived"}):
        assert_error(await me.call("POST", f"/conversations/{cid}/status", json=body), 422, "validation_error")
    assert_error(
        await me.call("PUT", f"/conversations/{cid}/labels", json={"labels": ["x" * 51]}), 422, "validation_error"
    )
    kept = await api.ok("GET", f"/conversation/{cid}")
    assert (kept["status"], kept["snoozedUntil"], kept["labels"]) == ("snoozed", until, ["billing", "vip"])


async def test_another_workspaces_conversation_is_not_found_and_stays_as_it_was(
    api: Api, other_api: Api, me: Console
) -> None:
    theirs = await other_api.conversation()
    path = f"/conversations/{theirs['id']}"
    for method, suffix, body in (
        ("POST", "/status", {"status": "resolved"}),
        ("PUT", "/labels", {"labels": ["mine"]}),
        ("GET", "/activity", None),
    ):
        assert_error(await me.call(method, f"{path}{suffix}", json=body), 404, "not_found")
    assert await other_api.ok("GET", f"/conversation/{theirs['id']}") == theirs
    assert await me.ok("GET", "/labels") == []


async def test_the_activity_log_says_who_did_what_in_order_among_the_messages(api: Api, me: Console) -> None:
    conversation = await api.conversation(name="Ann")
    cid, path = conversation["id"], f"/conversations/{conversation['id']}"
    colleague = await api.agent("agent-2", name="Olga Petrova")

    await me.ok("POST", f"{path}/assign")
    await api.ok("POST", f"/conversation/{cid}/assign-agent", json={"agentId": colleague["id"]})
    await me.ok("POST", f"{path}/unassign")
    await me.ok("POST", f"{path}/lock")
    await api.ok("POST", f"/conversation/{cid}/unlock")
    until = int(time.time()) + 600
    await me.ok("POST", f"{path}/status", json={"status": "snoozed", "snoozedUntil": until})
    await api.ok("PUT", f"/conversation/{cid}/labels", json={"labels": ["vip"]})
    message = await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "m1", "text": "Hi"})
    await me.ok("POST", f"{path}/status", json={"status": "resolved"})
    await me.ok("POST", f"{path}/status", json={"status": "resolved"})  # no change, no entry

    log = await me.ok("GET", f"{path}/activity")

    vadim = {"type": "agent", "agentId": me.agent["id"], "name": "Vadim Belorusov"}
    api_actor = {"type": "api", "agentId": None, "name": None}
    assert [(e["kind"], e["actor"], e["agent"] and e["agent"]["id"]) for e in log] == [
        ("assigned", vadim, me.agent["id"]),
        ("assigned", api_actor, colleague["id"]),
        ("unassigned", vadim, colleague["id"]),
        ("locked", vadim, None),
        ("unlocked", api_actor, None),
        ("status", vadim, None),
        ("labels", api_actor, None),
        ("status", {"type": "visitor", "agentId": None, "name": "Ann"}, None),
        ("status", vadim, None),
    ]
    assert [(e["status"], e["snoozedUntil"], e["labels"]) for e in log[5:]] == [
        ("snoozed", until, None),
        (None, None, ["vip"]),
        ("open", None, None),
        ("resolved", None, None),
    ]
    assert all(e["conversationId"] == cid and e["createdAt"] >= conversation["createdAt"] for e in log)
    assert [e["microseconds"] for e in log] == sorted(e["microseconds"] for e in log)
    assert log[6]["microseconds"] < message["microseconds"] < log[7]["microseconds"], "placed among the messages"

    newest_two = await me.ok("GET", f"{path}/activity", params={"before": 9007199254740991, "limit": 2})
    assert newest_two == log[-2:]
    assert await me.ok("GET", f"{path}/activity", params={"after": log[6]["microseconds"]}) == log[7:]


async def test_an_auto_assignment_is_the_systems(api: Api, services: Services) -> None:
    console = await console_of(api)
    await connect_console(services, api.workspace_id, console.agent["id"])
    await api.ok("PUT", "/widget-settings", json={"autoAssign": True})

    cid = (await api.conversation())["id"]

    [entry] = await console.ok("GET", f"/conversations/{cid}/activity")
    assert (entry["kind"], entry["actor"], entry["agent"]["id"]) == (
        "assigned",
        {"type": "system", "agentId": None, "name": None},
        console.agent["id"],
    )


async def test_an_open_console_hears_status_and_label_changes(live: Live) -> None:
    agent, token = await live.agent_with_token()
    cid = (await live.api.conversation())["id"]

    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={token}") as socket:
        await live.console(token, "POST", f"/conversations/{cid}/status", json={"status": "pending"})
        await live.api.ok("PUT", f"/conversation/{cid}/labels", json={"labels": ["vip"]})

        frames = await socket.events_until(lambda f: f["event"] == "conversation.labels_changed")

    [status] = [f for f in frames if f["event"] == "conversation.status_changed"]
    assert (status["conversationId"], status["data"]["status"]) == (cid, "pending")
    assert (frames[-1]["conversationId"], frames[-1]["data"]["labels"]) == (cid, ["vip"])
    assert frames[-1]["data"]["status"] == "pending"
    assert frames[-1]["data"]["endUser"]["websocketToken"] is None
    log = await live.console(token, "GET", f"/conversations/{cid}/activity")
    assert [(e["kind"], e["actor"]["agentId"]) for e in log] == [("status", agent["id"]), ("labels", None)]
