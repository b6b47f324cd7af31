"""Committed events reach the hub in each workspace's stream order, each once, whatever order they come in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import BaseModel

from parley.realtime.ordering import StreamOrder
from parley.services.context import Services
from parley.services.workspaces import create_workspace
from parley.storage.database import Transaction
from parley.storage.outbox import new_event
from parley.storage.records import NewEvent
from tests.support.waiting import eventually


class Note(BaseModel):
    text: str


async def committed(services: Services, workspace_id: str, count: int) -> list[NewEvent]:
    """`count` events written to the workspace's stream, as committed (with their positions)."""

    def write(tx: Transaction) -> None:
        for index in range(count):
            tx.emit(new_event(str(uuid.uuid4()), "test.event", workspace_id, None, Note(text=str(index)), 1))

    published: list[NewEvent] = []
    services.db.add_publisher(published.extend)
    await services.db.write(write)
    return published


class Heard:
    def __init__(self) -> None:
        self.events: list[NewEvent] = []

    def __call__(self, events: Sequence[NewEvent]) -> None:
        self.events.extend(events)

    @property
    def positions(self) -> list[int | None]:
        return [event.stream_position for event in self.events]


async def test_events_that_come_out_of_order_are_handed_on_in_order_and_once(services: Services) -> None:
    workspace, _ = await create_workspace(services, "Acme")
    heard = Heard()
    order = StreamOrder(services.db, heard, gap_wait_seconds=60)
    await order.follow(workspace.id)
    first, second, third = await committed(services, workspace.id, 3)

    order.offer([third])
    assert heard.positions == [], "the third waits for the first two"
    order.offer([first])
    assert heard.positions == [first.stream_position]
    order.offer([second, first])
    assert heard.positions == [first.stream_position, second.stream_position, third.stream_position]
    order.offer([third, second])
    assert len(heard.events) == 3, "what was handed on is not handed on again"
    await order.close()


async def test_events_that_never_come_are_read_from_the_database(services: Services) -> None:
    """Redis may drop a message: after a short wait, the missing events are read where they are committed."""
    workspace, _ = await create_workspace(services, "Acme")
    heard = Heard()
    order = StreamOrder(services.db, heard, gap_wait_seconds=0.01)
    await order.follow(workspace.id)
    events = await committed(services, workspace.id, 4)

    order.offer([events[3]])
    await eventually(lambda: len(heard.events) == 4, what="the missing events read")
    assert [e.id for e in heard.events] == [e.id for e in events]
    assert [e.payload for e in heard.events] == [e.payload for e in events]
    order.offer(events[1:3])
    assert len(heard.events) == 4, "the late ones are dropped"
    await order.close()


async def test_what_committed_before_the_workspace_was_followed_is_left_to_the_sockets_replay(
    services: Services,
) -> None:
    workspace, _ = await create_workspace(services, "Acme")
    heard = Heard()
    order = StreamOrder(services.db, heard, gap_wait_seconds=60)
    before = await committed(services, workspace.id, 2)
    await order.follow(workspace.id)
    after = await committed(services, workspace.id, 1)

    order.offer([*after, *before])
    assert heard.positions == [after[0].stream_position]
    await order.close()


async def test_ephemeral_events_and_workspaces_nobody_follows_pass_at_once(services: Services) -> None:
    workspace, _ = await create_workspace(services, "Acme")
    heard = Heard()
    order = StreamOrder(services.db, heard, gap_wait_seconds=60)
    events = await committed(services, workspace.id, 3)
    typing = new_event(str(uuid.uuid4()), "typing", workspace.id, None, Note(text="..."), 1)

    order.offer([events[2], typing, events[0]])
    assert heard.positions == [events[2].stream_position, None, events[0].stream_position]
    await order.follow(workspace.id)
    order.offer([typing])
    assert heard.positions[-1] is None
    await order.close()
