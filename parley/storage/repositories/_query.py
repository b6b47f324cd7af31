"""Small helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Select, bindparam, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from parley.storage.records import Record

R = TypeVar("R", bound=Record)


def fetch_one(conn: Connection, stmt: Executable, record: type[R]) -> R | None:
    row = (conn.execute(stmt)).first()
    return None if row is None else record.from_row(row)


def one(conn: Connection, stmt: Executable, record: type[R], **parameters: Any) -> R | None:
    """The first row as a record. Lookups repeated on every request pass a statement built once, with bound
    parameters: building and keying one costs more than SQLite takes to answer it."""
    row = conn.execute(stmt, parameters or None).first()
    return None if row is None else record.from_row(row)


def fetch_all(
    conn: Connection, stmt: Executable, record: type[R], parameters: Mapping[str, Any] | None = None
) -> list[R]:
    return [record.from_row(row) for row in conn.execute(stmt, parameters)]


def fetch_by_ids(conn: Connection, table: Any, ids: Iterable[str | None], record: type[R]) -> dict[str, R]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = fetch_all(conn, _by_ids(table), record, {"ids": wanted})
    return {r.id: r for r in rows}  # type: ignore[attr-defined]


@cache
def _by_ids(table: Any) -> Select[Any]:
    """One statement a table, built once: a statement built per call is a dozen objects in cycles that only the
    collector frees, and this one runs for every socket that opens (what its replay renders)."""
    return select(table).where(table.id.in_(bindparam("ids", expanding=True)))


def keyset_after(
    stmt: Select[Any], order: Sequence[InstrumentedAttribute[Any]], cursor: Sequence[Any] | None, descending: bool
) -> Select[Any]:
    """Continue a (created_us, id) ordered listing after the row whose keys are `cursor`."""
    if cursor is not None:
        keys, values = tuple_(*order), tuple_(*cursor)
        stmt = stmt.where(keys < values if descending else keys > values)
    return stmt.order_by(*(c.desc() if descending else c.asc() for c in order))
