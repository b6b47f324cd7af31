"""SQLite's connections: reads run whole on reader threads, each owning a connection, never on the event loop's
thread (Synapse's `runInteraction` shape); writes run whole on the one write connection, in place when they can.

Why whole transactions: a batch of messages is a few hundred microseconds of SQLite work, while an async driver
(aiosqlite) hands every statement to a thread and back, each hand-off waiting for the GIL and for the busy event
loop to come round again: measured, a batch of 16 messages took 14 ms that way.

Why writes run in place: even one hand-off per transaction to a writer thread cost the message path a fifth of
its throughput on this 2-core machine (interleaved, 10 rounds: 0.41x of the baseline against 0.50x in place, 938
against 790 microseconds of CPU a message): the thread's Python and the loop's take turns on one GIL, and a woken
thread waits for a core that the load generator and the loop keep busy. A write transaction holds SQLite's write
lock for the few milliseconds it runs, and writes take turns anyway, so in place it costs the loop only its own
work. A write waits on the writer thread only when another process holds the write lock (`Writer`).

A few reader threads each own a connection (WAL readers never wait for the writer). WAL checkpoints: PASSIVE
passes on a reader, the short RESTART on the write connection, between two transactions (`Checkpoints`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError

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


class WriteLockTaken(Exception):
    """Another process holds SQLite's write lock (BEGIN IMMEDIATE answered SQLITE_BUSY): nothing was written."""


class Readers:
    """Threads that each own one connection, opened on the thread's first job: autocommit at the driver, so a
    read opens no transaction."""

    def __init__(self, url: str, threads: int) -> None:
        self._engine = _engine(url, writer=False)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="parley-sqlite-reader")
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
            _end_open_transaction(conn)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._engine.dispose()


class Writer:
    """The one write connection. SQLAlchemy's `begin()` sends BEGIN IMMEDIATE: the write lock up front, so no
    upgrade from a read can fail.

    A transaction runs in place, on the calling thread (the event loop's), when SQLite grants the write lock at
    once: the connection asks without waiting (busy timeout 0), so the loop never waits on another process. When
    another process holds the lock (`parley purge`, a backup, a second process on the file), the transaction goes
    to the writer thread, which waits for the lock in SQLite's busy handler while the loop goes on; the writes that
    come meanwhile queue behind it there, in order, so the connection is never used by two at once. The connection
    is opened there too, where opening may wait."""

    def __init__(self, url: str) -> None:
        self._engine = _engine(url, writer=True)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="parley-sqlite-writer")
        self._conn: Connection | None = None
        self._queued: Future[Any] | None = None  # the last transaction handed to the thread

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._conn is not None and (self._queued is None or self._queued.done()):
            try:
                return self._run_now(self._conn, work)
            except WriteLockTaken:
                pass  # nothing of `work` ran: it waits for the lock on the thread
        self._queued = queued = self._executor.submit(self._run_waiting, work)
        return await asyncio.wrap_future(queued)

    def _run_now(self, conn: Connection, work: Callable[[Connection], T]) -> T:
        try:
            return work(conn)
        finally:
            _end_open_transaction(conn)

    def _run_waiting(self, work: Callable[[Connection], T]) -> T:
        if self._conn is None:
            self._conn = self._engine.connect()
        driver = _driver(self._conn)
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            return self._run_now(self._conn, work)
        finally:
            driver.execute("PRAGMA busy_timeout=0")

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def _end_open_transaction(conn: Connection) -> None:
    if conn.in_transaction():
        conn.rollback()  # a read's bookkeeping only, or a write that raised before its commit


def _driver(conn: Connection) -> Any:
    driver_connection = conn.connection.driver_connection
    assert driver_connection is not None
    return driver_connection


def _engine(url: str, writer: bool) -> Engine:
    """Both open with the busy timeout (opening may wait for another process); the writer's is 0 once open."""
    engine = create_engine(
        make_url(url).set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        hide_parameters=True,  # an error's text never carries message text or token hashes into a log line
        pool_reset_on_return=None,  # every job ends in COMMIT or ROLLBACK of its own
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        apply_pragmas(dbapi_connection, BUSY_TIMEOUT_MS, autocheckpoint=not writer)

    if writer:

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                if getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
                    raise WriteLockTaken(str(exc.orig)) from exc
                raise

    return engine


class SQLiteThreads:
    """The write connection, the reader threads and the checkpoints of one database file."""

    def __init__(self, url: str) -> None:
        self.writer = Writer(url)
        self.readers = Readers(url, READERS)
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
    checkpoint inside one), and without waiting (the write connection's busy timeout is 0, also when this waits
    behind another process's lock on the writer thread, which sets it to 0 again first): a reader in the way would
    otherwise hold up every write for the busy timeout."""
    busy_timeout = _driver(conn).execute("PRAGMA busy_timeout").fetchone()[0]
    _driver(conn).execute("PRAGMA busy_timeout=0")
    try:
        _driver(conn).execute("PRAGMA wal_checkpoint(RESTART)")
    finally:
        _driver(conn).execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
