"""Operations tests: real `parley` processes against installs built through the real app."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from parley.config import Settings
from tests.support.databases import POSTGRES_ADMIN_URL, _in_thread, drop_postgres_database, sqlite_url_from_template

PARLEY = [sys.executable, "-m", "parley.cli"]
SECRET_KEY = "ops-test-secret-key-of-sufficient-length-0123456789"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def parley_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of an operator's shell: only the variables the test sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_DATA_DIR"] = str(data_dir)
    if database_url:
        env["PARLEY_DATABASE_URL"] = database_url
    return env


async def run_parley(env: dict[str, str], *args: str, within: float = 60) -> Ran:
    """A `parley` command as a real process, awaited without blocking the test's event loop (and its server)."""
    process = await asyncio.create_subprocess_exec(
        *PARLEY, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


def install_settings(data_dir: Path, database_url: str, secret_key: str | None = SECRET_KEY) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        public_url="http://parley.test",
        secret_key=secret_key,
        fetch_allowlist=["127.0.0.1"],
        token_cache_seconds=0.5,
    )


@pytest.fixture
def sqlite_install(tmp_path: Path, sqlite_template_path: Path) -> tuple[Path, str]:
    """A migrated, empty SQLite install: its data dir and database URL."""
    data_dir = tmp_path / "install"
    data_dir.mkdir()
    return data_dir, sqlite_url_from_template(sqlite_template_path, data_dir)


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database with no tables at all (not migrated), dropped afterwards."""
    name = f"parley_test_{uuid.uuid4().hex[:12]}"
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    admin_url = POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def create() -> None:
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await admin.dispose()

    try:
        _in_thread(lambda: asyncio.run(create()))
    except (OSError, DBAPIError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}); CI runs these tests")
    url = f"{base}/{name}"
    yield url
    drop_postgres_database(url)
