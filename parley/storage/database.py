"""Connections and transactions. SQLite gets one writer connection (its write lock is global); PostgreSQL a pool.

Every write goes through `Database.write()`: the events a change emits are inserted into the outbox in the
same transaction, and handed to the publisher only after the commit, so no client sees a rolled-back change.
The webhook deliveries those events call for are inserted in that transaction too (`parley.webhooks.outbox`
says why); delivery listeners hear about them after the commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from parley.storage.models import Event
from parley.storage.records import NewEvent
from parley.webhooks import outbox as webhook_outbox

EventPublisher = Callable[[Sequence[NewEvent]], None]
DeliveryListener = Callable[[], None]

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


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._publishers: list[EventPublisher] = []
        self._delivery_listeners: list[DeliveryListener] = []
        if self.is_sqlite:
            self.read_engine = _sqlite_engine(url, pool_size=SQLITE_READERS)
            self.write_engine = _sqlite_engine(url, pool_size=1)
        else:
            self.read_engine = self.write_engine = create_async_engine(
                url, pool_size=POSTGRES_POOL, max_overflow=POSTGRES_POOL, pool_pre_ping=True, hide_parameters=True
            )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

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

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One transaction; on SQLite, writers take turns on the single write connection."""
        if self._write_lock is None:
            async with self._transaction() as tx:
                yield tx
        else:
            async with self._write_lock, self._transaction() as tx:
                yield tx

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        async with self.write_engine.connect() as conn:
            tx = Transaction(conn)
            deliveries = 0
            async with conn.begin():
                yield tx
                if tx.events:
                    await conn.execute(_INSERT_EVENT, [_event_row(e) for e in tx.events])
                    deliveries = await webhook_outbox.add_deliveries(conn, tx.events, time.time_ns() // 1000)
        if tx.events:
            for publish in self._publishers:
                publish(tx.events)
        if deliveries:
            for ring in self._delivery_listeners:
                ring()

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()


def _event_row(new_event: NewEvent) -> dict[str, Any]:
    return {
        "id": new_event.id,
        "workspace_id": new_event.workspace_id,
        "conversation_id": new_event.conversation_id,
        "name": new_event.name,
        "payload": new_event.payload,
        "microseconds": new_event.microseconds,
        "created_at": new_event.created_at,
    }


def _sqlite_engine(url: str, pool_size: int) -> AsyncEngine:
    """WAL + synchronous=NORMAL: a committed transaction survives the process being killed.

    The pool does not roll back on check-in: that would cost a round trip to the driver's thread each time.
    """
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"timeout": 30},
        hide_parameters=True,  # an error's text never carries message text or token hashes into a log line
        pool_reset_on_return=None,  # every write ends in COMMIT or ROLLBACK; reads never open a transaction
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
