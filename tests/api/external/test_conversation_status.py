"""A conversation's status through the External API: set by the integrator, reopened by the visitor's messages, each
change one `conversation.status_changed`; and `waitingSince`, which the visitor's messages start and agents' end."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from parley.services.context import Services
from parley.storage.repositories import events as event_repo
from tests.conftest import Api
from tests.support.upstream import FileServer

STATUS_CHANGED = "conversation.status_changed"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def events_of(services: Services, workspace_id: str, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's events as the outbox holds them, in order."""
    found = await services.db.read(event_repo.events_after, workspace_id, [conversation_id], 0, 500)
    return [json.loads(e.payload) for e in found]


async def status_events(services: Services, workspace_id: str, conversation_id: str) -> list[dict[str, Any]]:
    return [e for e in await events_of(services, workspace_id, conversation_id) if e["event"] == STATUS_CHANGED]


async def set_status(api: Api, conversation_id: str, status: str, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = await api.ok(
        "POST", f"/conversation/{conversation_id}/status", json={"status": status, **extra}
    )
    return found


async def agent_token(api: Api, service_user_id: str = "agent-1") -> tuple[dict[str, Any], str]:
    agent = await api.agent(service_user_id)
    return agent, (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]


async def console(client: httpx.AsyncClient, token: str, method: str, path: str, **kwargs: Any) -> Any:
    """A call of the console's API (`/api/agent/v1`) as the agent whose token it is; expects success."""
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.request(method, f"/api/agent/v1{path}", headers=headers, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def widget(client: httpx.AsyncClient, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.request(method, f"/api/widget/v1{path}", headers=headers, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_new_conversation_is_open_unlabelled_and_nobody_waits(api: Api) -> None:
    created = await api.conversation(name="Ann")
    assert (created["status"], created["snoozedUntil"], created["labels"], created["waitingSince"]) == (
        "open",
        None,
        [],
        None,
    )
    assert await api.ok("GET", f"/conversation/{created['id']}") == created


async def test_each_change_of_status_is_answered_kept_and_emitted_once(api: Api, services: Services) -> None:
    conversation = await api.conversation(name="Ann")
    cid = conversation["id"]

    pending = await set_status(api, cid, "pending")
    assert pending["status"] == "pending" and pending["snoozedUntil"] is None
    assert await api.ok("GET", f"/conversation/{cid}") == pending
    again = await set_status(api, cid, "pending")
    assert again == pending, "the same status again changes nothing"
    resolved = await set_status(api, cid, "resolved")
    reopened = await set_status(api, cid, "open")

    events = await status_events(services, api.workspace_id, cid)
    assert [e["data"]["status"] for e in events] == ["pending", "resolved", "open"]
    assert [e["data"] for e in events] == [
        {**pending, "endUser": {**pending["endUser"], "websocketToken": None}},
        {**resolved, "endUser": {**resolved["endUser"], "websocketToken": None}},
        {**reopened, "endUser": {**reopened["endUser"], "websocketToken": None}},
    ], "each event carries the conversation after the change, with no visitor credential"


async def test_a_snooze_needs_a_future_time_and_leaving_it_clears_the_time(api: Api, services: Services) -> None:
    cid = (await api.conversation())["id"]
    until = int(time.time()) + 3600

    snoozed = await set_status(api, cid, "snoozed", snoozedUntil=until)
    assert (snoozed["status"], snoozed["snoozedUntil"]) == ("snoozed", until)
    later = await set_status(api, cid, "snoozed", snoozedUntil=until + 60)
    assert later["snoozedUntil"] == until + 60, "a new time is a change"
    resolved = await set_status(api, cid, "resolved", snoozedUntil=None)
    assert (resolved["status"], resolved["snoozedUntil"]) == ("resolved", None)

    events = await status_events(services, api.workspace_id, cid)
    assert [(e["data"]["status"], e["data"]["snoozedUntil"]) for e in events] == [
        ("snoozed", until),
        ("snoozed", until + 60),
        ("resolved", None),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "closed"},
        {"status": "OPEN"},
        {"status": None},
        {},
        {"status": "snoozed"},
        {"status": "snoozed", "snoozedUntil": None},
        {"status": "snoozed", "snoozedUntil": "past"},
        {"status": "snoozed", "snoozedUntil": 1_000_000_000},
        {"status": "snoozed", "snoozedUntil": -5},
        {"status": "snoozed", "snoozedUntil": 10**30},
        {"status": "snoozed", "snoozedUntil": "in the future"},
        {"status": "snoozed", "snoozedUntil": 4_000_000_000.5},
        {"status": "open", "snoozedUntil": "future"},
        {"status": "resolved", "snoozedUntil": "future"},
        ["pending"],
    ],
)
async def test_a_bad_status_request_is_422_and_changes_nothing(api: Api, services: Services, body: Any) -> None:
    cid = (await api.conversation())["id"]
    before = await set_status(api, cid, "pending")
    events_before = await events_of(services, api.workspace_id, cid)
    if isinstance(body, dict) and body.get("snoozedUntil") == "future":
        body = {**body, "snoozedUntil": int(time.time()) + 3600}

    assert_error(await api.call("POST", f"/conversation/{cid}/status", json=body), 422, "validation_error")

    assert await api.ok("GET", f"/conversation/{cid}") == before
    assert await events_of(services, api.workspace_id, cid) == events_before


async def test_another_workspaces_conversation_and_unknown_ids_are_not_found(api: Api, other_api: Api) -> None:
    theirs = await other_api.conversation()
    for cid in (theirs["id"], "00000000-0000-4000-8000-000000000000", "nope"):
        assert_error(
            await api.call("POST", f"/conversation/{cid}/status", json={"status": "resolved"}), 404, "not_found"
        )
    assert (await other_api.ok("GET", f"/conversation/{theirs['id']}"))["status"] == "open"


async def reopening_ways(
    api: Api, client: httpx.AsyncClient, file_server: FileServer, conversation: dict[str, Any], n: int
) -> dict[str, Any]:
    """The n-th way a visitor writes, each answering the message: External API text and file (authored by the
    end user, as the seed's example), widget text and upload."""
    cid, token = conversation["id"], conversation["endUser"]["websocketToken"]
    way = n % 4
    if way == 0:
        return dict(
            await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": f"t{n}", "text": "Hi"})
        )
    if way == 1:
        url = file_server.add(f"/reopen-{n}.txt", b"receipt", "text/plain")
        return dict(await api.ok("POST", f"/conversation/{cid}/send-file-message", json={"uuid": f"f{n}", "file": url}))
    if way == 2:
        return dict(await widget(client, token, "POST", "/messages", json={"uuid": f"w{n}", "text": "Still there?"}))
    upload = {"file": ("note.txt", b"hello", "text/plain")}
    return dict(await widget(client, token, "POST", "/files", files=upload, data={"uuid": f"u{n}"}))


async def test_a_visitors_message_of_any_kind_reopens_the_conversation_with_it(
    api: Api, client: httpx.AsyncClient, services: Services, file_server: FileServer
) -> None:
    conversation = await api.conversation(name="Ann")
    cid = conversation["id"]
    _, token = await agent_token(api)
    future = int(time.time()) + 3600
    for n in range(12):
        status = ("pending", "snoozed", "resolved")[n % 3]
        await set_status(api, cid, status, **({"snoozedUntil": future} if status == "snoozed" else {}))

        message = await reopening_ways(api, client, file_server, conversation, n)

        now = await api.ok("GET", f"/conversation/{cid}")
        assert (now["status"], now["snoozedUntil"]) == ("open", None), f"way {n % 4} reopens {status}"
        last_two = (await events_of(services, api.workspace_id, cid))[-2:]
        assert [e["event"] for e in last_two] == ["message.created", STATUS_CHANGED]
        assert last_two[0]["data"]["id"] == message["id"]
        assert last_two[1]["data"]["status"] == "open"
        assert last_two[1]["microseconds"] > last_two[0]["microseconds"], "the reopening follows its message"

    log = await console(client, token, "GET", f"/conversations/{cid}/activity")
    reopenings = [e for e in log if e["actor"]["type"] == "visitor"]
    assert len(reopenings) == 12
    assert {(e["kind"], e["status"], e["actor"]["name"], e["actor"]["agentId"]) for e in reopenings} == {
        ("status", "open", "Ann", None)
    }


async def test_an_open_conversation_stays_open_without_an_event(api: Api, services: Services) -> None:
    cid = (await api.conversation())["id"]
    await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "m1", "text": "Hi"})
    assert await status_events(services, api.workspace_id, cid) == []


async def test_agents_and_the_bot_do_not_reopen(api: Api, client: httpx.AsyncClient, services: Services) -> None:
    conversation = await api.conversation()
    cid = conversation["id"]
    agent, token = await agent_token(api)
    await api.ok("POST", f"/conversation/{cid}/assign-agent", json={"agentId": agent["id"]})
    await set_status(api, cid, "resolved")

    await console(client, token, "POST", f"/conversations/{cid}/messages", json={"uuid": "a1", "text": "Done!"})
    upload = {"file": ("invoice.txt", b"paid", "text/plain")}
    await console(client, token, "POST", f"/conversations/{cid}/files", files=upload, data={"uuid": "a2"})
    await api.ok("POST", f"/conversation/{cid}/request-review")

    assert (await api.ok("GET", f"/conversation/{cid}"))["status"] == "resolved"
    assert len(await status_events(services, api.workspace_id, cid)) == 1


async def test_visitor_messages_sent_together_reopen_once(api: Api, services: Services) -> None:
    """Messages arriving at once share the writer's batch: the batch reopens with one statement and one event."""
    cid = (await api.conversation())["id"]
    await set_status(api, cid, "resolved")

    path = f"/conversation/{cid}/send-text-message"
    await asyncio.gather(*(api.ok("POST", path, json={"uuid": f"m{i}", "text": f"#{i}"}) for i in range(20)))

    assert [e["data"]["status"] for e in await status_events(services, api.workspace_id, cid)] == [
        "resolved",
        "open",
    ]


async def test_a_visitor_message_to_a_locked_conversation_reopens_nothing(api: Api, services: Services) -> None:
    cid = (await api.conversation())["id"]
    await set_status(api, cid, "resolved")
    await api.ok("POST", f"/conversation/{cid}/lock")

    response = await api.call("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "m1", "text": "Hi"})

    assert_error(response, 423, "conversation_locked")
    assert (await api.ok("GET", f"/conversation/{cid}"))["status"] == "resolved"


async def waiting_since(api: Api, cid: str) -> int | None:
    found: int | None = (await api.ok("GET", f"/conversation/{cid}"))["waitingSince"]
    return found


async def test_the_visitor_waits_from_their_first_unanswered_message_until_an_agent_answers(
    api: Api, client: httpx.AsyncClient
) -> None:
    conversation = await api.conversation(name="Ann")
    cid, visitor = conversation["id"], conversation["endUser"]["websocketToken"]
    agent, token = await agent_token(api)
    await api.ok("POST", f"/conversation/{cid}/assign-agent", json={"agentId": agent["id"]})

    first = await widget(client, visitor, "POST", "/messages", json={"uuid": "v1", "text": "Hello?"})
    assert await waiting_since(api, cid) == first["createdAt"]
    await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "v2", "text": "Anyone?"})
    assert await waiting_since(api, cid) == first["createdAt"], "a wait that runs is not restarted"
    await api.ok("POST", f"/conversation/{cid}/request-review")
    assert await waiting_since(api, cid) == first["createdAt"], "the bot answers nobody"

    await console(client, token, "POST", f"/conversations/{cid}/messages", json={"uuid": "a1", "text": "Here!"})
    assert await waiting_since(api, cid) is None

    again = await widget(client, visitor, "POST", "/messages", json={"uuid": "v3", "text": "One more thing"})
    assert await waiting_since(api, cid) == again["createdAt"]
    upload = {"file": ("answer.txt", b"42", "text/plain")}
    await console(client, token, "POST", f"/conversations/{cid}/files", files=upload, data={"uuid": "a2"})
    assert await waiting_since(api, cid) is None, "an agent's file answers too"


async def test_a_resent_message_does_not_count_again(api: Api, client: httpx.AsyncClient) -> None:
    """A visitor's retried send (the widget's outbox after a lost answer) stores nothing, and neither starts a new
    wait after the agent's answer, nor does an agent's retry end the visitor's new one."""
    conversation = await api.conversation()
    cid = conversation["id"]
    _, token = await agent_token(api)
    send = f"/conversation/{cid}/send-text-message"

    await api.ok("POST", send, json={"uuid": "v1", "text": "Hello?"})
    await console(client, token, "POST", f"/conversations/{cid}/messages", json={"uuid": "a1", "text": "Hi!"})
    await api.ok("POST", send, json={"uuid": "v1", "text": "Hello?"})
    assert await waiting_since(api, cid) is None

    later = await api.ok("POST", send, json={"uuid": "v2", "text": "About my order"})
    await console(client, token, "POST", f"/conversations/{cid}/messages", json={"uuid": "a1", "text": "Hi!"})
    assert await waiting_since(api, cid) == later["createdAt"]


async def test_status_and_label_changes_are_webhook_events(api: Api) -> None:
    """Subscribable by name; their deliveries are written with them (tests/webhooks posts them)."""
    hooked = await api.ok(
        "PUT",
        "/webhook",
        json={
            "url": "http://127.0.0.1:9/hooks",
            "events": [STATUS_CHANGED, "conversation.labels_changed"],
        },
    )
    assert hooked["events"] == [STATUS_CHANGED, "conversation.labels_changed"]
    cid = (await api.conversation())["id"]
    await set_status(api, cid, "pending")
    await api.ok("PUT", f"/conversation/{cid}/labels", json={"labels": ["vip"]})
    await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "m1", "text": "Hi"})

    listed = await api.ok("GET", "/webhook/deliveries")
    assert sorted(d["event"] for d in listed) == sorted([STATUS_CHANGED, "conversation.labels_changed", STATUS_CHANGED])
