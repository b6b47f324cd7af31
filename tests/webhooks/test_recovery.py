"""Nothing lost: a receiver that goes away, a Parley restarted meanwhile, and several workers on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from parley.config import Settings
from parley.schemas import WEBHOOK_EVENTS
from parley.services.context import Services
from parley.storage.repositories.webhooks import ClaimedDelivery
from tests.conftest import Api, running_parley
from tests.support.waiting import eventually, polled
from tests.webhooks.conftest import Receiver, StoredEvent, deliveries, stored_events


def assert_in_order_per_conversation(stored: list[StoredEvent], arrived: list[str]) -> None:
    """Every event arrived, and within a conversation none arrived before the one written ahead of it."""
    first_arrival: dict[str, int] = {}
    for index, event_id in enumerate(arrived):
        first_arrival.setdefault(event_id, index)
    assert sorted(first_arrival) == sorted(e.id for e in stored), "some event never arrived"
    by_conversation: dict[str | None, list[str]] = {}
    for event in stored:
        by_conversation.setdefault(event.conversation_id, []).append(event.id)
    for conversation_id, written in by_conversation.items():
        assert sorted(written, key=first_arrival.__getitem__) == written, f"out of order in {conversation_id}"


def attempts(listed: list[dict[str, Any]]) -> int:
    return sum(delivery["attempts"] for delivery in listed)


async def send_round(api: Api, conversations: list[dict[str, Any]], label: str) -> None:
    for n in range(3):
        for conversation in conversations:
            body = {"uuid": f"{label}-{n}", "text": f"{label} {n}"}
            await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json=body)


async def test_nothing_is_lost_while_the_receiver_is_down_and_parley_restarts(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.stop()  # connections are refused from the start
    async with running_parley(settings) as first:
        api = await first.new_workspace()
        await api.ok("PUT", "/webhook", json={"url": receiver.url})
        conversations = [await api.conversation(name=name) for name in ("Ann", "Bob", "Cid")]
        await send_round(api, conversations, "before")
        await polled(lambda: deliveries(api), lambda found: attempts(found) >= 6)
        attempts_before_restart = attempts(await deliveries(api, limit=100))

    # A new process over the same database: the pending deliveries are still there, and new events join them.
    async with running_parley(settings) as second:
        api = second.api(api.token, api.workspace_id)
        await send_round(api, conversations, "after")
        await api.ok("POST", f"/conversation/{conversations[0]['id']}/lock")
        await polled(  # the restarted process takes up the retries, and is refused too
            lambda: deliveries(api, limit=100), lambda found: attempts(found) >= attempts_before_restart + 3
        )
        assert receiver.received == []

        receiver.start()  # back on the same port
        stored = [e for e in await stored_events(second.services, api.workspace_id) if e.name in WEBHOOK_EVENTS]
        assert len(stored) == 3 + 3 * 3 * 2 + 1
        await eventually(lambda: set(receiver.event_ids()) >= {e.id for e in stored}, what="every event to arrive")
        listed = await polled(
            lambda: deliveries(api, limit=100), lambda found: all(d["status"] == "delivered" for d in found)
        )

    assert len(listed) == len(stored)
    assert_in_order_per_conversation(stored, receiver.event_ids())
    payloads = {e.id: e.payload.encode() for e in stored}
    assert all(r.body == payloads[r.headers["X-Parley-Event-Id"]] for r in receiver.received)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # on SQLite one process delivers
async def test_two_workers_never_post_one_event_at_the_same_time(settings: Settings, receiver: Receiver) -> None:
    """Two processes (two `Services`) over one PostgreSQL database share the work, each event posted once."""
    # Each POST takes a while: a backlog builds up however fast the sends go, so the second worker (which only
    # polls, every 0.2 s) finds rows to take, and would have time to take one the first worker holds.
    receiver.delay = 0.15
    narrow = settings.model_copy(update={"webhook_concurrency": 3})
    posts: Counter[str] = Counter()

    def count_posts(name: str, services: Services) -> None:
        worker = services.webhooks
        assert worker is not None
        post = worker._post

        async def counted(delivery: ClaimedDelivery) -> tuple[int | None, str | None]:
            posts[name] += 1
            return await post(delivery)

        worker._post = counted  # type: ignore[method-assign]

    other = Services.build(narrow)
    await other.start()
    try:
        async with running_parley(narrow) as parley:
            count_posts("serving", parley.services)
            count_posts("other", other)
            api = await parley.new_workspace()
            await api.ok("PUT", "/webhook", json={"url": receiver.url})
            conversations = [await api.conversation(name=f"Visitor {n}") for n in range(8)]
            await send_round(api, conversations, "m")
            stored = [e for e in await stored_events(parley.services, api.workspace_id) if e.name in WEBHOOK_EVENTS]
            await eventually(lambda: set(receiver.event_ids()) >= {e.id for e in stored}, what="every event to arrive")
            # Settled: the outbox says delivered, and every POST either worker began has arrived (a duplicate too).
            await polled(
                lambda: deliveries(api, limit=100), lambda found: all(d["status"] == "delivered" for d in found)
            )
            await eventually(lambda: posts.total() == len(receiver.received), what="every POST begun to arrive")
    finally:
        await other.close()

    assert receiver.overlaps == []
    assert Counter(receiver.event_ids()) == Counter({e.id: 1 for e in stored})
    assert_in_order_per_conversation(stored, receiver.event_ids())
    assert posts["serving"] > 0 and posts["other"] > 0, posts
