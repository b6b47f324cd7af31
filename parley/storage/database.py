"""The one way to reach the database: `await db.read(work, *args)` and `await db.write(work, *args)`.

`work` is a plain function whose first argument is a SQLAlchemy `Connection` (a read) or a `Transaction` (a
write), and it runs whole, in one go: on SQLite on a database thread (`parley.storage.sqlite`), on PostgreSQL
through `AsyncConnection.run_sync`. Every repository function is such a function, so the same code runs on both.

A write is one transaction. The events its work emits (`tx.emit`) are written to the outbox in that transaction,
with their webhook deliveries (`parley.storage.outbox`), and handed to the publishers only after the commit
(`_published_after_commit`, the one place that happens), so no client ever sees a rolled-back change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from parley.storage import outbox
from parley.storage.records import NewEvent
from parley.storage.sqlite import SQLiteThreads

EventPublisher = Callable[[Sequence[NewEvent]], None]
DeliveryListener = Callable[[], None]
P = ParamSpec("P")
T = TypeVar("T")

POSTGRES_POOL = 10
IDLE_BEFORE_PING_SECONDS = 1.0


@dataclass
class Transaction:
    """An open write transaction and the events it will publish once committed."""

    conn: Connection
    events: list[NewEvent] = field(default_factory=list)

    def emit(self, new_event: NewEvent) -> None:
        self.events.append(new_event)


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    """What a write did: its result, its events as placed in their streams, and how many webhook deliveries."""

    result: T
    events: list[NewEvent]
    deliveries: int


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._publishers: list[EventPublisher] = []
        self._delivery_listeners: list[DeliveryListener] = []
        self._threads = SQLiteThreads(url) if self.is_sqlite else None
        self._engine = None
        self._alone_engine = None
        if not self.is_sqlite:
            self._engine = _postgres_engine(url, POSTGRES_POOL, max_overflow=POSTGRES_POOL)
            # The message writer's own connection (`write_alone`: one batch at a time), so that a batch never waits
            # for the pool behind reads, and with PostgreSQL's generic plan for its statement: left to choose, the
            # server planned it anew for each batch (1 ms a batch, measured with log_planner_stats), and messages
            # a second rose 1.16x without that (interleaved, 6 rounds; 0.67x -> 0.78x SQLite's). The plan is made
            # again when the tables' statistics change (ANALYZE), so it follows their growth.
            self._alone_engine = _postgres_engine(url, 1, plan_cache_mode="force_generic_plan")

    def start(self) -> None:
        """Background upkeep: on SQLite, the WAL checkpoints."""
        if self._threads is not None:
            self._threads.start()

    def add_publisher(self, publisher: EventPublisher) -> None:
        self._publishers.append(publisher)

    def add_delivery_listener(self, listener: DeliveryListener) -> None:
        """Called after each commit that created webhook deliveries: the delivery worker's doorbell."""
        self._delivery_listeners.append(listener)

    def remove_delivery_listener(self, listener: DeliveryListener) -> None:
        if listener in self._delivery_listeners:
            self._delivery_listeners.remove(listener)

    async def read(self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(conn, *args, **kwargs)`, outside any transaction of ours: each statement sees what is committed."""
        if self._threads is not None:
            return await self._threads.readers.run(lambda conn: work(conn, *args, **kwargs))
        assert self._engine is not None
        async with self._engine.connect() as conn:
            return await conn.run_sync(work, *args, **kwargs)

    async def write(self, work: Callable[Concatenate[Transaction, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(tx, *args, **kwargs)` in one transaction with the outbox rows of what it emits, then published."""

        def transact(conn: Connection) -> Written[T]:
            tx = Transaction(conn)
            with conn.begin():
                result = work(tx, *args, **kwargs)
                placed, deliveries = outbox.record_events(conn, tx.events) if tx.events else ([], 0)
            return Written(result, placed, deliveries)

        if self._threads is not None:
            committed = await self._threads.writer.run(transact)
            self._threads.wrote()
        else:
            assert self._engine is not None
            async with self._engine.connect() as conn:
                committed = await conn.run_sync(transact)
        self._published_after_commit(committed.events, committed.deliveries)
        return committed.result

    async def write_alone(
        self, work: Callable[Concatenate[Connection, P], Written[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """PostgreSQL: `work(conn, *args, **kwargs)` outside a transaction, on the message writer's own connection,
        for work that writes in one statement (atomic on its own, without BEGIN and COMMIT and their round trips);
        it returns what it wrote, whose events are then published as `write` publishes them."""
        assert self._alone_engine is not None, "write_alone is for PostgreSQL"
        async with self._alone_engine.connect() as conn:
            alone = await conn.execution_options(isolation_level="AUTOCOMMIT")
            written = await alone.run_sync(work, *args, **kwargs)
        self._published_after_commit(written.events, written.deliveries)
        return written.result

    def _published_after_commit(self, events: Sequence[NewEvent], deliveries: int) -> None:
        if events:
            for publish in self._publishers:
                publish(events)
        if deliveries:
            for ring in self._delivery_listeners:
                ring()

    async def dispose(self) -> None:
        if self._threads is not None:
            await self._threads.close()
        if self._engine is not None:
            await self._engine.dispose()
        if self._alone_engine is not None:
            await self._alone_engine.dispose()


def _postgres_engine(url: str, pool_size: int, max_overflow: int = 0, **server_settings: str) -> AsyncEngine:
    """A pool of `pool_size` connections (and `max_overflow` more at peaks) opened with `server_settings`, pinged only
    after idling, and whose errors never show the statements' parameters (messages, tokens)."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        hide_parameters=True,
        connect_args={"server_settings": server_settings} if server_settings else {},
    )
    _ping_after_idling(engine.sync_engine)
    return engine


def _ping_after_idling(engine: Engine) -> None:
    """The pool's pre-ping, only for a connection that has waited in the pool for a while.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and on asyncpg its ping is three round trips (BEGIN, the
    ping, ROLLBACK: wrapped for pgbouncer's transaction mode): counted on the wire, a batch of messages took four
    round trips with it, one without. A connection that came back less than `IDLE_BEFORE_PING_SECONDS` ago was
    working then; should it have broken since (the server restarted), its request fails, and SQLAlchemy then
    invalidates the whole pool, so the next ones start on fresh connections."""

    @event.listens_for(engine, "checkin")
    def checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever a dead connection raises: the pool retries on a new one
            raise DisconnectionError("the pooled connection is gone") from exc
