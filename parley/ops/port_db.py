"""`parley port-db --to postgresql+asyncpg://...`: move a whole SQLite install to PostgreSQL, keeping everything.

Every table is copied row for row in foreign-key order, in batches, with its values as they are: ids,
`microseconds` and `last_microseconds`, events' `stream_position` and the workspaces' stream counters (so websocket
resume cursors keep working), token hashes (so API, agent and visitor tokens keep working), file records (the bytes
stay where they are), the outbox and the webhook deliveries.
PostgreSQL's sequences (`events.position`, `webhook_deliveries.seq`) are then moved past the copied values.

The source is read in one SQLite read transaction: one consistent state, even if a server is still writing (stop
it first anyway: what it writes after the port began stays behind). The target is written in one transaction: a
port that fails leaves it empty, ready for another try. It must be empty: an empty database is migrated first, a
migrated one must hold no rows. The port ends by counting every table on both sides.

JSON values an earlier Parley let in but PostgreSQL refuses or Parley cannot answer with (`NaN`, `Infinity`,
lone surrogates, nesting past the API's limits) are repaired, never a reason to stop, and each repair is printed
with the row's key: numbers that are not finite become null, unstorable characters U+FFFD, and a value still
refused after that (too deep, too large) an empty one. The SQLite file keeps the originals.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Column, Table, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from parley.ops.backup import sqlite_path
from parley.schemas import META_MAX_DEPTH, storable_json_problem
from parley.storage.migrate import alembic_config, upgrade_async
from parley.storage.repositories.porting import advance_sequences, count_rows, insert_rows, rows_after, tables
from parley.storage.repositories.schema import schema_revision, table_names

Echo = Callable[[str], None]
Progress = Callable[[str, int, int], None]
DEFAULT_BATCH = 1000


class PortError(Exception):
    """A refusal with a sentence for the operator (the command exits non-zero)."""


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        return self.source == self.target


async def port_database(
    source_url: str, target_url: str, echo: Echo, progress: Progress, batch_size: int = DEFAULT_BATCH
) -> list[TableCount]:
    if not source_url.startswith("sqlite"):
        raise PortError(f"the source must be an SQLite database (PARLEY_DATABASE_URL is {source_url.split(':')[0]})")
    if not target_url.startswith("postgresql+asyncpg://"):
        raise PortError("--to must be a postgresql+asyncpg://user:password@host:port/db URL")
    source_file = sqlite_path(source_url)
    if not source_file.is_file():
        raise PortError(f"no SQLite database at {source_file}")
    head = ScriptDirectory.from_config(alembic_config(target_url)).get_current_head()
    source, target = _snapshot_engine(source_url), create_async_engine(target_url)
    try:
        async with source.connect() as src, src.begin():  # BEGIN: every read below sees the same state
            revision = await src.run_sync(schema_revision)
            if revision != head:
                raise PortError(
                    f"the SQLite database is at schema revision {revision}, this Parley's is {head}: "
                    "run `parley migrate` on it first"
                )
            await _prepare_target(target, target_url, head, echo)
            counts = {table.name: await src.run_sync(count_rows, table) for table in tables()}
            echo(f"copying {sum(counts.values())} rows in {len(counts)} tables")
            async with target.begin() as dst:
                for table in tables():
                    await _copy(src, dst, table, counts[table.name], batch_size, progress, echo)
                await dst.run_sync(advance_sequences)
        async with target.connect() as dst:
            return [
                TableCount(table.name, counts[table.name], await dst.run_sync(count_rows, table)) for table in tables()
            ]
    finally:
        await source.dispose()
        await target.dispose()


def _snapshot_engine(url: str) -> AsyncEngine:
    """The driver opens transactions only before writes; here BEGIN is said explicitly, so the reads share one."""
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


async def _prepare_target(target: AsyncEngine, target_url: str, head: str | None, echo: Echo) -> None:
    """Migrate an empty target (or one behind); refuse a foreign one or one that holds any row."""
    async with target.connect() as conn:
        names = await conn.run_sync(table_names)
        revision = await conn.run_sync(schema_revision)
    if names and revision is None:
        raise PortError("the target database has tables but no Parley schema: port into an empty database")
    if revision != head:
        echo("migrating the target database" + (f" from revision {revision}" if revision else ""))
        await upgrade_async(target_url)
    async with target.connect() as conn:
        filled = {table.name: n for table in tables() if (n := await conn.run_sync(count_rows, table))}
    if filled:
        rows = ", ".join(f"{name}: {n}" for name, n in filled.items())
        raise PortError(f"the target database is not empty ({rows}): port into an empty database")


async def _copy(
    src: AsyncConnection,
    dst: AsyncConnection,
    table: Table,
    total: int,
    batch_size: int,
    progress: Progress,
    echo: Echo,
) -> None:
    """In primary-key order, a batch at a time (keyset paging: each batch is an index range scan)."""
    key = list(table.primary_key.columns)
    json_columns = [column for column in table.columns if isinstance(column.type, JSON)]
    done, last = 0, None
    progress(table.name, 0, total)
    while True:
        rows = await src.run_sync(rows_after, table, key, last, batch_size)
        if not rows:
            break
        for row in rows:
            _repair_json(table, key, json_columns, row, echo)
        await dst.run_sync(insert_rows, table, rows)
        done += len(rows)
        last = tuple(rows[-1][column.name] for column in key)
        progress(table.name, done, total)


def _repair_json(
    table: Table, key: list[Column[Any]], columns: list[Column[Any]], row: dict[str, Any], echo: Echo
) -> None:
    for column in columns:
        value = row[column.name]
        if value is None or (problem := storable_json_problem(value)) is None:
            continue
        try:
            repaired = _scrubbed(value, 1)
        except _TooDeep:
            repaired = None
        if repaired is None or storable_json_problem(repaired) is not None:
            repaired = type(value)()
            how = f"stored as {json.dumps(repaired)}"
        else:
            how = "stored with null for numbers that are not finite and U+FFFD for unstorable characters"
        row[column.name] = repaired
        row_key = " ".join(str(row[part.name]) for part in key)
        echo(f"repaired {table.name} {row_key}: {column.name} {problem}; {how}")


class _TooDeep(Exception):
    pass


_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def _scrubbed(value: object, depth: int) -> object:
    """`value` with what PostgreSQL cannot hold replaced, or _TooDeep past the API's nesting limit."""
    if isinstance(value, dict | list) and depth > META_MAX_DEPTH:
        raise _TooDeep
    if isinstance(value, dict):
        return {_scrubbed_text(k): _scrubbed(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _scrubbed_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _scrubbed_text(value: str) -> str:
    return _UNSTORABLE_CHARACTERS.sub("\ufffd", value)
