"""SQLite and another process: a file it holds is waited for, not an error, and never on the event loop's thread.
PostgreSQL: a pooled connection that died is not handed out."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from parley.storage import database
from parley.storage.database import Database, Transaction
from parley.storage.repositories import workspaces as workspace_repo
from tests.support.databases import sqlite_url_from_template

WORKSPACE = "00000000-0000-4000-8000-000000000001"


async def _seeded_url(template: Path, directory: Path) -> str:
    """A database file holding one workspace, named "held"."""
    url = sqlite_url_from_template(template, directory)

    def seed(tx: Transaction) -> None:
        workspace_repo.add_workspace(
            tx.conn, id=WORKSPACE, name="held", site_key="k", is_demo=False, settings={}, created_at=1, updated_at=1
        )

    seeding = Database(url)
    await seeding.write(seed)
    await seeding.dispose()
    return url


@asynccontextmanager
async def loop_ticks() -> AsyncIterator[list[int]]:
    """How many times a 10 ms timer fired meanwhile: it only fires while nothing blocks the event loop."""
    ticks = [0]

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks[0] += 1

    ticking = asyncio.create_task(tick())
    try:
        yield ticks
    finally:
        ticking.cancel()


async def _name(db: Database) -> str:
    found = await db.read(workspace_repo.get_workspace, WORKSPACE)
    assert found is not None
    return found.name


async def test_a_read_waits_for_another_process_holding_the_file(sqlite_template_path: Path, tmp_path: Path) -> None:
    """The read waits on a database thread while the event loop goes on, and succeeds once the file is free."""
    url = await _seeded_url(sqlite_template_path, tmp_path)
    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # held from its first write until it closes
    holder.execute("UPDATE workspaces SET name = 'renamed meanwhile'")
    db = Database(url)
    try:
        async with loop_ticks() as ticks:
            reading = asyncio.create_task(_name(db))
            await asyncio.sleep(0.3)
            assert not reading.done()
            assert ticks[0] >= 10, "the event loop kept running while the read waited"
        holder.close()
        name = await asyncio.wait_for(reading, timeout=10)
    finally:
        holder.close()
        await db.dispose()
    assert name == "renamed meanwhile"


async def test_reads_go_on_while_a_write_waits_for_another_process_holding_the_write_lock(
    sqlite_template_path: Path, tmp_path: Path
) -> None:
    """A write waits for the other process's transaction and then succeeds; meanwhile reads answer at once with
    what is committed (WAL readers never wait for a writer, and ours wait on threads of their own)."""
    url = await _seeded_url(sqlite_template_path, tmp_path)
    other_process = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # e.g. `parley purge` in the middle of its transaction
    other_process.execute("UPDATE workspaces SET name = 'not committed yet'")
    db = Database(url)

    def rename(tx: Transaction) -> None:
        workspace_repo.update_workspace(tx.conn, WORKSPACE, name="renamed by us")

    try:
        writing = asyncio.create_task(db.write(rename))
        await asyncio.sleep(0.3)
        assert not writing.done()
        assert await asyncio.wait_for(_name(db), timeout=5) == "held"
        other_process.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=5)
        assert await _name(db) == "renamed by us"
    finally:
        other_process.close()
        await db.dispose()


async def test_writes_that_come_while_one_waits_for_the_lock_keep_their_order(
    sqlite_template_path: Path, tmp_path: Path
) -> None:
    """While another process holds the write lock, every write waits for it (the event loop going on), and they
    land in the order they were made, none lost; once the lock is free, writes are answered at once again."""
    url = await _seeded_url(sqlite_template_path, tmp_path)
    db = Database(url)
    await db.write(lambda tx: workspace_repo.update_workspace(tx.conn, WORKSPACE, name="before"))
    other_process = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")

    def rename(tx: Transaction, name: str) -> None:
        workspace_repo.update_workspace(tx.conn, WORKSPACE, name=name)

    try:
        async with loop_ticks() as ticks:
            writes = [asyncio.create_task(db.write(rename, f"name {n}")) for n in range(5)]
            await asyncio.sleep(0.3)
            assert not any(write.done() for write in writes)
            assert ticks[0] >= 10, "the event loop kept running while the writes waited"
        other_process.execute("COMMIT")
        await asyncio.wait_for(asyncio.gather(*writes), timeout=5)
        assert await _name(db) == "name 4"
        await asyncio.wait_for(db.write(rename, "after"), timeout=5)
        assert await _name(db) == "after"
    finally:
        other_process.close()
        await db.dispose()


async def test_a_postgresql_connection_that_died_while_idle_in_the_pool_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool pings only a connection that has waited in it a while (`IDLE_BEFORE_PING_SECONDS`): one that died
    meanwhile (the server restarted, an administrator ended it) is replaced, and the request never sees it."""
    monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 0.0)
    db = Database(postgres_url)
    try:
        first = await db.read(_backend_pid)
        killer = Database(postgres_url)
        await killer.read(lambda conn: conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}))
        await killer.dispose()
        assert await db.read(_backend_pid) != first
    finally:
        await db.dispose()


def _backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
