"""Alembic environment: one schema for SQLite and PostgreSQL (batch mode where SQLite needs it)."""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from parley.storage import sqlite
from parley.storage.models import Base
from parley.storage.search_schema import include_name

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every Parley connection asks for WAL, and switching a file over needs it alone. Done here, a server's first
    connections (a request's, the outbox pruner's) never race to do it and fail with "database is locked"."""
    sqlite.apply_pragmas(dbapi_connection, sqlite.BUSY_TIMEOUT_MS, autocheckpoint=True, foreign_keys=False)


async def _run_async() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url") or "")
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _pragmas)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


asyncio.run(_run_async())
