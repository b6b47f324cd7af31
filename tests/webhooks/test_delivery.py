"""Deliveries: the stored event bytes, signed, filtered by name, retried until a 2xx, listed, redelivered."""

from __future__ import annotations

import json

import pytest

from parley.background import retry_delay
from parley.config import Settings
from parley.schemas import WEBHOOK_EVENTS
from parley.services.context import Services
from tests.conftest import Api, connect_console, running_parley
from tests.support.signatures import verify
from tests.support.waiting import eventually, polled
from tests.webhooks.conftest import Receiver, deliveries, stored_events


async def test_every_event_arrives_as_stored_and_signed(api: Api, services: Services, receiver: Receiver) -> None:
    secret = (await api.ok("PUT", "/webhook", json={"url": receiver.url}))["secret"]
    agent = await api.agent()
    conversation = await api.conversation(name="Ann", email="ann@example.com")
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})
    await api.ok("POST", f"{path}/send-text-message", json={"uuid": "m1", "text": "Hello"})
    await api.ok("POST", f"{path}/lock")
    await api.ok("POST", f"{path}/unlock")
    await api.ok("POST", f"{path}/unassign-agent")
    await connect_console(services, api.workspace_id, agent["id"])  # the agent comes online

    stored = [e for e in await stored_events(services, api.workspace_id) if e.name in WEBHOOK_EVENTS]
    assert {e.name for e in stored} >= {
        "conversation.created",
        "conversation.assigned",
        "message.created",
        "conversation.locked",
        "conversation.unlocked",
        "conversation.unassigned",
        "agent.status_changed",
    }
    await eventually(lambda: len(receiver.received) >= len(stored), what="every event to arrive")
    by_id = {r.headers["X-Parley-Event-Id"]: r for r in receiver.received}
    assert len(receiver.received) == len(stored) == len(by_id)
    for event in stored:
        request = by_id[event.id]
        assert request.body == event.payload.encode()  # the stored bytes, not a re-rendering
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["X-Parley-Event"] == event.name == request.event["event"]
        assert request.event["id"] == event.id
        assert verify(secret, request.headers["X-Parley-Signature"], request.body)
    created = by_id[stored[0].id].event
    assert created["event"] == "conversation.created"
    assert created["data"]["endUser"]["websocketToken"] is None  # a webhook never carries the visitor's credential

    # The receiver has every POST before the worker records each answer: wait for the last outcome to be stored.
    listed = await polled(lambda: deliveries(api), lambda found: all(d["status"] != "pending" for d in found))
    assert {(d["eventId"], d["event"], d["status"], d["attempts"], d["lastStatusCode"]) for d in listed} == {
        (e.id, e.name, "delivered", 1, 200) for e in stored
    }
    assert all(d["deliveredAt"] and d["nextAttemptAt"] is None and d["lastError"] is None for d in listed)
    assert [d["id"] for d in listed] == [d["id"] for d in sorted(listed, key=lambda d: d["createdAt"], reverse=True)]


@pytest.mark.parametrize(
    ("webhook_changes", "conversations", "messages"),
    [
        ({"webhook_poll_seconds": 60.0, "webhook_concurrency": 4}, 1, 4),  # each waits for the one before it
        ({"webhook_poll_seconds": 60.0, "webhook_concurrency": 1}, 3, 1),  # each waits for the one slot
    ],
    indirect=["webhook_changes"],
)
async def test_deliveries_waiting_their_turn_go_out_as_it_comes_without_waiting_for_the_poll(
    api: Api, services: Services, receiver: Receiver, conversations: int, messages: int
) -> None:
    """An ended POST lets the next delivery of its conversation go at once, or the next one waiting for a free
    slot: none of them waits the minute between polls."""
    receiver.delay = 0.05
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    started = [await api.conversation() for _ in range(conversations)]
    for n in range(messages):
        for conversation in started:
            body = {"uuid": f"m{n}", "text": f"message {n}"}
            await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json=body)

    stored = [e for e in await stored_events(services, api.workspace_id) if e.name == "message.created"]
    assert len(stored) == conversations * messages
    await eventually(lambda: len(receiver.received) >= len(stored), what="every message to arrive", within=10)
    assert not receiver.overlaps
    for conversation in started:
        arrived = [r.event["id"] for r in receiver.received if r.event["data"]["conversationId"] == conversation["id"]]
        assert arrived == [e.id for e in stored if e.conversation_id == conversation["id"]]


async def test_posts_to_a_receiver_go_over_the_connection_it_keeps_open(api: Api, receiver: Receiver) -> None:
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    conversation = await api.conversation()
    for n in range(3):
        body = {"uuid": f"m{n}", "text": f"message {n}"}
        await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json=body)
    await eventually(lambda: len(receiver.received) >= 3, what="every message to arrive")
    assert len(set(receiver.peers)) == 1


async def test_only_the_chosen_events_are_delivered(api: Api, services: Services, receiver: Receiver) -> None:
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}"
    for n in range(3):
        await api.ok("POST", f"{path}/send-text-message", json={"uuid": f"m{n}", "text": f"#{n}"})
    await api.ok("POST", f"{path}/lock")

    await eventually(lambda: len(receiver.received) >= 3, what="three messages")
    listed = await polled(lambda: deliveries(api), lambda found: all(d["status"] == "delivered" for d in found))
    assert [d["event"] for d in listed] == ["message.created"] * 3
    assert [json.loads(r.body)["data"]["body"] for r in receiver.received] == ["#0", "#1", "#2"]
    messages = [e.id for e in await stored_events(services, api.workspace_id) if e.name == "message.created"]
    assert receiver.event_ids() == messages


async def test_a_failed_post_is_retried_until_a_2xx(api: Api, receiver: Receiver) -> None:
    receiver.statuses.extend([500, 503])
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["conversation.created"]})
    await api.conversation()
    [delivered] = await polled(lambda: deliveries(api), lambda found: bool(found) and found[0]["status"] == "delivered")
    assert (delivered["attempts"], delivered["lastStatusCode"], delivered["lastError"]) == (3, 200, None)
    assert len({r.body for r in receiver.received}) == 1 and len(receiver.received) == 3
    assert len(set(receiver.event_ids())) == 1


async def test_deliveries_are_listed_with_their_state(api: Api, receiver: Receiver) -> None:
    receiver.default_status = 503
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["conversation.created"]})
    for name in ("Ann", "Bob", "Cid"):
        await api.conversation(name=name)
    failing = await polled(lambda: deliveries(api), lambda found: len(found) == 3 and all(d["attempts"] for d in found))
    for delivery in failing:
        assert (delivery["status"], delivery["lastStatusCode"]) == ("pending", 503)
        assert delivery["lastError"] == "HTTP 503 Service Unavailable"
        assert delivery["nextAttemptAt"] >= delivery["lastAttemptAt"]
        assert delivery["deliveredAt"] is None

    first_page = await deliveries(api, limit=2)
    second_page = await deliveries(api, limit=2, after=first_page[-1]["id"])
    assert [d["id"] for d in first_page + second_page] == [d["id"] for d in failing]
    assert await deliveries(api, status="delivered") == []

    receiver.default_status = 204
    done = await polled(lambda: deliveries(api, status="delivered"), lambda found: len(found) == 3)
    assert {d["lastStatusCode"] for d in done} == {204}
    assert all(d["attempts"] >= 2 for d in done)
    bad = await api.call("GET", "/webhook/deliveries", params={"status": "lost"})
    assert bad.status_code == 422


async def test_a_delivery_can_be_redelivered(api: Api, other_api: Api, receiver: Receiver) -> None:
    await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["conversation.created"]})
    await api.conversation()
    [first] = await polled(lambda: deliveries(api), lambda found: bool(found) and found[0]["status"] == "delivered")

    again = await api.ok("POST", f"/webhook/deliveries/{first['id']}/redeliver")
    assert (again["id"], again["status"], again["attempts"]) == (first["id"], "pending", 1)
    [second] = await polled(lambda: deliveries(api), lambda found: found[0]["attempts"] == 2)
    assert second["status"] == "delivered"
    assert receiver.event_ids() == [first["eventId"]] * 2
    assert receiver.received[0].body == receiver.received[1].body

    for who, delivery_id in ((other_api, first["id"]), (api, "00000000-0000-4000-8000-000000000000"), (api, "x")):
        response = await who.call("POST", f"/webhook/deliveries/{delivery_id}/redeliver")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert (await api.call("GET", "/webhook/deliveries", params={"after": "nope"})).status_code == 404


async def test_a_delivery_fails_after_the_retry_window_and_stops_blocking(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.default_status = 500
    short = settings.model_copy(update={"webhook_retry_window_seconds": 1.5})  # room for two tries under load
    async with running_parley(short) as parley:
        api = await parley.new_workspace()
        await api.ok("PUT", "/webhook", json={"url": receiver.url})
        conversation = await api.conversation()
        [failed] = await polled(lambda: deliveries(api), lambda found: found[0]["status"] == "failed")
        assert failed["attempts"] >= 2 and failed["nextAttemptAt"] is None and failed["lastStatusCode"] == 500

        # The conversation's next event is not held back by one that was given up on.
        receiver.default_status = 200
        path = f"/conversation/{conversation['id']}"
        await api.ok("POST", f"{path}/send-text-message", json={"uuid": "late", "text": "Still there?"})
        listed = await polled(lambda: deliveries(api), lambda found: found[0]["status"] == "delivered")
        assert [d["event"] for d in listed] == ["message.created", "conversation.created"]


@pytest.mark.parametrize("attempts", [1, 2, 3, 8, 40, 5000])
def test_the_retry_delay_doubles_with_jitter_up_to_the_cap(attempts: int) -> None:
    for _ in range(50):
        delay = retry_delay(attempts, base=10, cap=3600)
        ceiling = min(10 * 2 ** (attempts - 1), 3600)
        assert ceiling / 2 <= delay <= ceiling
    assert retry_delay(1, base=10, cap=3600) <= 10  # "first retried within 10 seconds"
