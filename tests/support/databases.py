"""Test databases: a migrated SQLite file per test, and a migrated PostgreSQL database per session.

PostgreSQL tests always run in CI (CI=true); locally they skip, saying why, only when no server answers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from parley.storage.migrate import upgrade
from parley.storage.models import Base

T = TypeVar("T")

POSTGRES_ADMIN_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """Session fixtures may be set up from inside a running event loop; asyncio.run needs a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def _run(coroutine: Callable[[], Coroutine[Any, Any, None]]) -> None:
    _in_thread(lambda: asyncio.run(coroutine()))


def sqlite_template(directory: Path) -> Path:
    """Migrate once per session; each test copies the file (much faster than migrating again)."""
    path = directory / "template.db"
    _in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_url_from_template(template: Path, directory: Path) -> str:
    target = directory / "parley.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _postgres_admin() -> asyncpg.Connection:
    return await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)


def create_postgres_database(migrated: bool = True) -> str:
    """A fresh database, migrated unless told not to; returns its SQLAlchemy URL."""
    name = f"parley_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = await _postgres_admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    try:
        _run(create)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}); CI runs these tests")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    url = f"{base}/{name}"
    if migrated:
        _in_thread(upgrade, url)
    return url


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        admin = await _postgres_admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    _run(drop)


async def truncate_postgres(url: str) -> None:
    """Empty every table between tests, keeping the migrated schema."""
    engine = create_async_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()
