"""Connections and transactions. SQLite gets one writer at a time (its write lock is global); PostgreSQL a pool.

Every write goes through `Database.write()` or `Database.write_plan()`: the events a change emits are inserted
into the outbox in the same transaction, and handed to the publisher only after the commit, so no client sees a
rolled-back change. The webhook deliveries those events call for are inserted in that transaction too
(`parley.webhooks.outbox` says why); delivery listeners hear about them after the commit.

On SQLite, `write_plan()` (the message batches) runs on a blocking connection on the event loop's thread
(`parley.storage.sqlite`); both kinds of writes take turns under one asyncio lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from parley.clock import now_microseconds
from parley.storage import sqlite
from parley.storage.models import Event
from parley.storage.plans import InsertRows, Plan, run
from parley.storage.records import NewEvent
from parley.storage.repositories import events as event_repo
from parley.webhooks import outbox as webhook_outbox

EventPublisher = Callable[[Sequence[NewEvent]], None]
DeliveryListener = Callable[[], None]
EventSink = Callable[[NewEvent], None]
T = TypeVar("T")
Ts = TypeVarTuple("Ts")

SQLITE_READERS = 4
_INSERT_EVENT = insert(Event)
POSTGRES_POOL = 10


@dataclass
class Transaction:
    """An open write transaction and the events it will publish once committed."""

    conn: AsyncConnection
    events: list[NewEvent] = field(default_factory=list)

    def emit(self, new_event: NewEvent) -> None:
        self.events.append(new_event)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    async def run(self, plan: Plan[T]) -> T:
        return await run(self.conn, plan)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._publishers: list[EventPublisher] = []
        self._delivery_listeners: list[DeliveryListener] = []
        if self.is_sqlite:
            self.read_engine = sqlite.async_engine(url, pool_size=SQLITE_READERS)
            self.write_engine = sqlite.async_engine(url, pool_size=1)
        else:
            self.read_engine = self.write_engine = create_async_engine(
                url, pool_size=POSTGRES_POOL, max_overflow=POSTGRES_POOL, pool_pre_ping=True, hide_parameters=True
            )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._blocking = sqlite.BlockingWriter(url, self._write_lock) if self._write_lock else None
        self._lookups = sqlite.BlockingReader(url) if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def start(self) -> None:
        """Background upkeep: on SQLite, the WAL checkpoints that the blocking writer leaves off the request path."""
        if self._blocking is not None:
            self._blocking.start()

    def add_publisher(self, publisher: EventPublisher) -> None:
        self._publishers.append(publisher)

    def add_delivery_listener(self, listener: DeliveryListener) -> None:
        """Called after each commit that created webhook deliveries: the delivery worker's doorbell."""
        self._delivery_listeners.append(listener)

    def remove_delivery_listener(self, listener: DeliveryListener) -> None:
        if listener in self._delivery_listeners:
            self._delivery_listeners.remove(listener)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
            yield conn

    async def lookup(self, query: Callable[[*Ts], Plan[T]], *args: *Ts) -> T:
        """A point lookup (a row by its key or an index), `query(*args)`: on SQLite a blocking call on this thread,
        see `sqlite`. That call waits for a lock only briefly; past that (another process holding the file
        exclusively, a recovery) the lookup is made again on an async reader, which waits off the loop."""
        if self._lookups is not None:
            try:
                return self._lookups.read(query(*args))
            except OperationalError as exc:
                if not sqlite.is_busy(exc):
                    raise
        async with self.read() as conn:
            return await run(conn, query(*args))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One transaction; on SQLite, writers take turns on the single write connection."""
        if self._write_lock is None:
            async with self._transaction() as tx:
                yield tx
        else:
            async with self._write_lock, self._transaction() as tx:
                yield tx

    async def write_plan(self, plan_of: Callable[[EventSink], Plan[T]]) -> T:
        """A write whose whole logic is a plan (given where to emit its events), in one transaction of its own."""
        if self._blocking is None or self._write_lock is None:
            async with self.write() as tx:
                return await tx.run(plan_of(tx.emit))
        events: list[NewEvent] = []

        def with_its_events() -> Plan[tuple[T, list[NewEvent], int]]:
            result = yield from plan_of(events.append)
            recorded, deliveries = (yield from record_events(self.dialect, events)) if events else ([], 0)
            return result, recorded, deliveries

        async with self._write_lock:
            result, recorded, deliveries = await self._blocking.transact(with_its_events())
        self._after_commit(recorded, deliveries)
        return result

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        async with self.write_engine.connect() as conn:
            tx = Transaction(conn)
            deliveries = 0
            async with conn.begin():
                yield tx
                if tx.events:
                    tx.events, deliveries = await tx.run(record_events(self.dialect, tx.events))
        self._after_commit(tx.events, deliveries)

    def _after_commit(self, events: Sequence[NewEvent], deliveries: int) -> None:
        if events:
            for publish in self._publishers:
                publish(events)
        if deliveries:
            for ring in self._delivery_listeners:
                ring()

    async def dispose(self) -> None:
        if self._blocking is not None:
            await self._blocking.close()
        if self._lookups is not None:
            self._lookups.close()
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()


def record_events(dialect: str, events: Sequence[NewEvent]) -> Plan[tuple[list[NewEvent], int]]:
    """The outbox rows of a transaction's events, placed in their workspaces' streams, and their webhook
    deliveries; returns the events as placed (what is published after the commit) and how many deliveries."""
    placed, hooks = yield from event_repo.place_in_streams(dialect, events)
    yield InsertRows(_INSERT_EVENT, [_event_row(e) for e in placed])
    return placed, (yield from webhook_outbox.add_deliveries(placed, hooks, now_microseconds()))


def _event_row(new_event: NewEvent) -> dict[str, Any]:
    return {
        "id": new_event.id,
        "workspace_id": new_event.workspace_id,
        "conversation_id": new_event.conversation_id,
        "name": new_event.name,
        "payload": new_event.payload,
        "microseconds": new_event.microseconds,
        "stream_position": new_event.stream_position,
        "created_at": new_event.created_at,
    }
