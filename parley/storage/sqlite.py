"""SQLite specifics: the pragmas of every connection, the async engines, and the blocking connections: the writer of
message batches and the reader of point lookups.

Why a blocking writer: a batch of messages is a few hundred microseconds of SQLite work, while the async driver
(aiosqlite) runs each statement in a thread of its own and pays several hand-offs per statement, each waiting for
the GIL and for the busy event loop to come round again: measured, a batch of 16 messages took 14 ms that way.
On the loop's own thread the batch is one short call. Two rules keep it short: a write lock held by another
process is waited for with `asyncio.sleep`, never in SQLite's busy handler (which would stall the loop), and WAL
checkpoints, which write and fsync the database file, run in a worker thread instead of inside a commit (the
writers wait only while the last few frames are copied: `BlockingWriter._checkpoint`).

Point lookups (a token, an end user, a conversation by its index) are the same story: about 1 ms of hand-offs
through the async driver for some 30 microseconds of SQLite. The blocking reader runs them on the loop's thread;
listings and replays, which can be long, stay on the async readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from parley.background import cancel_and_wait
from parley.storage.plans import Plan, run_blocking

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000  # the async engines wait in their driver's thread, off the event loop
LOCK_PATIENCE_SECONDS = 30.0  # how long the blocking writer waits for another process's write lock
READER_BUSY_TIMEOUT_MS = 50  # WAL readers wait only in rare moments (recovery, a checkpoint's header change)
CHECKPOINT_SECONDS = 1.0
PASSIVE_PASSES = 4
RESTART_BELOW_FRAMES = 256  # what is left for RESTART to copy while the writers wait: about 1 MB
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024  # what the WAL is cut back to when started over after a burst


def apply_pragmas(dbapi_connection: Any, busy_timeout_ms: int, autocheckpoint: bool, foreign_keys: bool = True) -> None:
    """WAL + synchronous=NORMAL: a committed transaction survives the process being killed (not a power cut).
    SQLite writes a started-over WAL in place and keeps its file at the largest size it ever reached (a burst, a
    purge, a migration): the size limit has the first commit after a restart cut it back.
    Migrations leave foreign keys off: rebuilding a table (Alembic's batch mode) would cascade otherwise."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA journal_size_limit={int(WAL_SIZE_LIMIT_BYTES)}")
    if foreign_keys:
        cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if not autocheckpoint:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def async_engine(url: str, pool_size: int) -> AsyncEngine:
    """The pool does not roll back on check-in: that would cost a round trip to the driver's thread each time."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,  # an error's text never carries message text or token hashes into a log line
        pool_reset_on_return=None,  # every write ends in COMMIT or ROLLBACK; reads never open a transaction
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        apply_pragmas(dbapi_connection, BUSY_TIMEOUT_MS, autocheckpoint=True)

    return engine


class _BlockingConnection:
    """pysqlite, one connection opened on first use, used only on the event loop's thread, autocommit at the driver
    (SQLAlchemy's transactions issue no BEGIN of their own)."""

    def __init__(self, url: str, busy_timeout_ms: int) -> None:
        self._engine = create_engine(
            make_url(url).set(drivername="sqlite+pysqlite"),
            pool_size=1,
            max_overflow=0,
            connect_args={"timeout": busy_timeout_ms / 1000},
            hide_parameters=True,
            pool_reset_on_return=None,
        )
        self._conn: Connection | None = None

        @event.listens_for(self._engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            apply_pragmas(dbapi_connection, busy_timeout_ms, autocheckpoint=False)

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


class BlockingReader(_BlockingConnection):
    """Point lookups written as plans."""

    def __init__(self, url: str) -> None:
        super().__init__(url, READER_BUSY_TIMEOUT_MS)

    def read(self, plan: Plan[T]) -> T:
        conn = self._connection()
        try:
            return run_blocking(conn, plan)
        finally:
            conn.rollback()  # SQLAlchemy's bookkeeping only: no read transaction stays open

    def close(self) -> None:
        self._close_connection()


class BlockingWriter(_BlockingConnection):
    """Writes whose logic is a plan: the message batches. `turns` is the lock this process's writers take turns
    with: the checkpoint takes it too, for the moment it needs the write lock."""

    def __init__(self, url: str, turns: asyncio.Lock) -> None:
        super().__init__(url, 0)
        self._turns = turns
        self._path = make_url(url).database
        self._checkpoints: asyncio.Task[None] | None = None
        self._written = False

        @event.listens_for(self._engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock up front: no upgrade from a read can fail

    def start(self) -> None:
        if self._path and self._path != ":memory:":
            self._checkpoints = asyncio.create_task(self._checkpoint_loop(), name="parley-sqlite-checkpoints")

    async def transact(self, plan: Plan[T]) -> T:
        """Run `plan` in one transaction and commit it: a blocking call, once the write lock is ours."""
        conn = await self._begin()
        try:
            result = run_blocking(conn, plan)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        self._written = True
        return result

    async def _begin(self) -> Connection:
        conn = self._connection()
        deadline = time.monotonic() + LOCK_PATIENCE_SECONDS
        delay = 0.001
        while True:
            try:
                conn.begin()
                return conn
            except OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
                conn.rollback()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            if not self._written:
                continue
            self._written = False
            try:
                await self._checkpoint()
            except Exception as exc:  # the next round tries again; the WAL only grows meanwhile
                log.warning("WAL checkpoint of %s failed: %s", self._path, exc)

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database, then have it written over from its start.

        PASSIVE passes, in a worker thread, copy the bulk without blocking anyone, but while writes go on they
        never catch up, and SQLite starts the WAL over only once all of it is copied: alone, they let it grow for
        as long as the load lasts (measured: 281 MB after 30 s). So passes repeat until one finds little new, then
        RESTART copies that little, on this thread while this process's writers wait their turn (about 2 ms at
        full load, where a RESTART in a thread took 6-16 ms of GIL hand-offs), and the next transaction starts the
        WAL over. The writer's connection waits for nothing: a reader or another process in the way leaves the
        restart to the next round."""
        previous = 0
        for _ in range(PASSIVE_PASSES):
            frames = await asyncio.to_thread(self._passive)
            if frames - previous < RESTART_BELOW_FRAMES:
                break
            previous = frames
        async with self._turns:
            driver_connection = self._connection().connection.driver_connection
            assert driver_connection is not None
            driver_connection.execute("PRAGMA wal_checkpoint(RESTART)")

    def _passive(self) -> int:
        """One PASSIVE pass on a connection of its own; returns how many frames the WAL held."""
        assert self._path is not None
        with contextlib.closing(sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000)) as connection:
            _busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)

    async def close(self) -> None:
        await cancel_and_wait(self._checkpoints)
        self._checkpoints = None
        self._close_connection()


def is_busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked": someone else holds the lock, not an error in what was asked."""
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)
