"""Plans: database work written once, run on an async connection or on a blocking one.

A plan is a generator that yields the statements it needs executed and receives each one's result, so the logic
of a write (the message batch, the outbox rows) does no I/O of its own. `run` drives it on an `AsyncConnection`
(PostgreSQL, and SQLite's pooled connections); `run_blocking` on a plain `Connection`, which is how SQLite's
message batches are written: in one go on the event loop's thread, since a batch is less SQLite work than the
thread hops an async driver pays for every statement of it.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement to execute, with its parameters (a dict, or a list of dicts for a multi-row insert)."""

    executable: Executable
    parameters: dict[str, Any] | list[dict[str, Any]] | None = None


Plan = Generator[Statement, CursorResult[Any], T]


async def run(conn: AsyncConnection, plan: Plan[T]) -> T:
    result: CursorResult[Any] | None = None
    try:
        while True:
            statement = plan.send(result)  # type: ignore[arg-type]  # the first send must be None
            result = await conn.execute(statement.executable, statement.parameters)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]


def run_blocking(conn: Connection, plan: Plan[T]) -> T:
    result: CursorResult[Any] | None = None
    try:
        while True:
            statement = plan.send(result)  # type: ignore[arg-type]
            result = conn.execute(statement.executable, statement.parameters)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
