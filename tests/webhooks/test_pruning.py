"""The outbox pruned: old events and finished deliveries go, a pending delivery keeps its event, messages stay."""

from __future__ import annotations

import pytest

from parley.clock import MICROSECONDS_PER_DAY, now_microseconds
from parley.config import Settings
from parley.services.context import Services
from parley.webhooks import pruning
from parley.webhooks.pruning import Pruned, prune_outbox
from tests.conftest import Api, running_parley
from tests.support.waiting import eventually, polled
from tests.webhooks.conftest import Receiver, deliveries, stored_events


async def test_old_events_and_finished_deliveries_go_while_a_pending_delivery_keeps_its_event(
    api: Api, services: Services, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "BATCH", 2)  # several rounds of reading and deleting
    await api.ok("PUT", "/webhook", json={"url": receiver.url})
    delivered = await api.conversation(name="Ann")
    for n in range(3):
        path = f"/conversation/{delivered['id']}/send-text-message"
        await api.ok("POST", path, json={"uuid": f"m{n}", "text": f"#{n}"})
    await polled(
        lambda: deliveries(api), lambda found: len(found) == 4 and all(d["status"] == "delivered" for d in found)
    )
    receiver.default_status = 500
    await api.conversation(name="Bob")
    [owed, *_] = await polled(lambda: deliveries(api), lambda found: len(found) == 5 and found[0]["attempts"] >= 1)
    assert owed["status"] == "pending"
    events = await stored_events(services, api.workspace_id)

    assert await prune_outbox(services.db, now_microseconds(), retention_days=30) == Pruned(events=0, deliveries=0)
    assert await stored_events(services, api.workspace_id) == events

    a_month_on = now_microseconds() + 31 * MICROSECONDS_PER_DAY
    pruned = await prune_outbox(services.db, a_month_on, retention_days=30)
    assert pruned == Pruned(events=len(events) - 1, deliveries=4)
    assert [d["id"] for d in await deliveries(api)] == [owed["id"]]
    assert [e.id for e in await stored_events(services, api.workspace_id)] == [owed["eventId"]]
    history = await api.ok("GET", f"/conversation/{delivered['id']}/messages")
    assert [m["body"] for m in history] == ["#0", "#1", "#2"]

    receiver.default_status = 200  # the kept event is still delivered, then it may go too
    await polled(lambda: deliveries(api), lambda found: found[0]["status"] == "delivered")
    assert await prune_outbox(services.db, a_month_on, retention_days=30) == Pruned(events=1, deliveries=1)


async def test_a_serving_parley_prunes_on_its_own(
    settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "PRUNE_SECONDS", 0.05)
    brief = settings.model_copy(update={"event_retention_days": 1 / 86_400})  # one second
    async with running_parley(brief) as parley:
        api = await parley.new_workspace()
        await api.ok("PUT", "/webhook", json={"url": receiver.url})
        conversation = await api.conversation()
        await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": "m", "text": "Hi"})
        await eventually(lambda: len(receiver.received) == 2, what="both events to be delivered")
        await polled(lambda: stored_events(parley.services, api.workspace_id), lambda found: found == [])
        assert await deliveries(api) == []
        [message] = await api.ok("GET", f"/conversation/{conversation['id']}/messages")
        assert message["body"] == "Hi"
