"""SQLite's database threads: every read and every write transaction runs whole on a thread of its own, on a
plain pysqlite connection, never on the event loop's thread (Synapse's `runInteraction` shape).

Why whole transactions on a thread: a batch of messages is a few hundred microseconds of SQLite work, while an
async driver (aiosqlite) hands every statement to a thread and back, each hand-off waiting for the GIL and for
the busy event loop to come round again: measured, a batch of 16 messages took 14 ms that way. One hand-off per
transaction costs the same as one per statement did, whatever the transaction holds.

One writer thread owns the only write connection, so writes take turns without a lock of ours; it waits for
another process's write lock in SQLite's busy handler, which blocks only that thread. A few reader threads each
own a connection (WAL readers never wait for the writer). WAL checkpoints run on these threads too: PASSIVE
passes on a reader, the short RESTART on the writer, between two transactions (`Checkpoints`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url

from parley.background import cancel_and_wait

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000  # how long a database thread waits for another process's lock (readers: rarely)
READERS = 4  # listings and replays can take a while; point lookups should not queue behind them
CHECKPOINT_SECONDS = 1.0
PASSIVE_PASSES = 4
RESTART_BELOW_FRAMES = 256  # what is left for RESTART to copy while the writer waits: about 1 MB
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


class _ThreadConnections:
    """Threads that each own one connection, opened on the thread's first job: autocommit at the driver, so a
    read opens no transaction and SQLAlchemy's `begin()` is the only BEGIN (on the writer, BEGIN IMMEDIATE: the
    write lock up front, so no upgrade from a read can fail)."""

    def __init__(self, url: str, threads: int, busy_timeout_ms: int, writer: bool) -> None:
        self._engine = _engine(url, busy_timeout_ms, writer)
        self._executor = ThreadPoolExecutor(
            threads, thread_name_prefix="parley-sqlite-" + ("writer" if writer else "reader")
        )
        self._local = threading.local()
        self._opened: list[Connection] = []

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run_here, work)

    def _run_here(self, work: Callable[[Connection], T]) -> T:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._engine.connect()
            self._opened.append(conn)
        try:
            return work(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()  # a read's bookkeeping only, or a write that raised before its commit

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._engine.dispose()


def _engine(url: str, busy_timeout_ms: int, writer: bool) -> Engine:
    engine = create_engine(
        make_url(url).set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        hide_parameters=True,  # an error's text never carries message text or token hashes into a log line
        pool_reset_on_return=None,  # every job ends in COMMIT or ROLLBACK of its own
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        apply_pragmas(dbapi_connection, busy_timeout_ms, autocheckpoint=not writer)

    if writer:

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SQLiteThreads:
    """The writer thread, the reader threads and the checkpoints of one database file."""

    def __init__(self, url: str) -> None:
        self.writer = _ThreadConnections(url, 1, BUSY_TIMEOUT_MS, writer=True)
        self.readers = _ThreadConnections(url, READERS, BUSY_TIMEOUT_MS, writer=False)
        path = make_url(url).database
        self._checkpoints = Checkpoints(self, path) if path and path != ":memory:" else None

    def start(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.start()

    def wrote(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.due = True

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.stop()
        self.writer.close()
        self.readers.close()


class Checkpoints:
    """Copy the WAL into the database once a second after writes, then have it written over from its start.

    The writer connection never checkpoints inside a commit (`wal_autocheckpoint=0`): that would write and fsync
    the database file while the next batch waits. PASSIVE passes, on a reader thread, copy the bulk without
    blocking anyone, but while writes go on they never catch up, and SQLite starts the WAL over only once all of
    it is copied: alone, they let it grow for as long as the load lasts (measured: 281 MB after 30 s). So passes
    repeat until one finds little new, then RESTART copies that little as a job of the writer thread, between
    two transactions (about 2 ms at full load), and the next transaction starts the WAL over. A reader or
    another process in the way leaves the restart to the next round."""

    def __init__(self, threads: SQLiteThreads, path: str) -> None:
        self._threads = threads
        self._path = path
        self._task: asyncio.Task[None] | None = None
        self.due = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="parley-sqlite-checkpoints")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            if not self.due:
                continue
            self.due = False
            try:
                await self.checkpoint()
            except Exception as exc:  # the next round tries again; the WAL only grows meanwhile
                log.warning("WAL checkpoint of %s failed: %s", self._path, exc)

    async def checkpoint(self) -> None:
        previous = 0
        for _ in range(PASSIVE_PASSES):
            frames = await self._threads.readers.run(_passive)
            if frames - previous < RESTART_BELOW_FRAMES:
                break
            previous = frames
        await self._threads.writer.run(_restart)


def _passive(conn: Connection) -> int:
    """One PASSIVE pass; returns how many frames the WAL held."""
    _busy, frames, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return int(frames)


def _restart(conn: Connection) -> None:
    """On the driver's connection, outside any transaction (SQLAlchemy's would BEGIN IMMEDIATE, and SQLite refuses a
    checkpoint inside one), and without waiting: a reader in the way would otherwise hold up every write for the
    busy timeout."""
    driver_connection = conn.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute("PRAGMA busy_timeout=0")
    try:
        driver_connection.execute("PRAGMA wal_checkpoint(RESTART)")
    finally:
        driver_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
