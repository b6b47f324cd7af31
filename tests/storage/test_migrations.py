"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from parley.storage.models import Base


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_async_engine(database_url)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


def test_a_migrated_sqlite_file_is_already_in_wal_mode(sqlite_template_path: Path) -> None:
    """Switching a file to WAL needs it alone: left to a server's first connections, two of them racing to do it
    failed with "database is locked" (seen in CI once the outbox pruner read at startup)."""
    with contextlib.closing(sqlite3.connect(sqlite_template_path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
