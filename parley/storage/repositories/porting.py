"""Whole tables, row for row: what `parley port-db` copies from SQLite to PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Table, func, insert, select, text, tuple_

from parley.storage.models import Base


def tables() -> list[Table]:
    """Every table of the schema, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def count_rows(conn: Connection, table: Table) -> int:
    return int((conn.execute(select(func.count()).select_from(table))).scalar_one())


def rows_after(
    conn: Connection, table: Table, key: list[Column[Any]], last: tuple[Any, ...] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` rows in primary-key order after the key `last` (None: from the start; a key may have several
    columns); keyset paging, so each batch is an index range scan."""
    stmt = select(table).order_by(*key).limit(limit)
    if last is not None:
        stmt = stmt.where(tuple_(*key) > tuple_(*last))
    return [dict(row) for row in (conn.execute(stmt)).mappings()]


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(table), rows)


def advance_sequences(conn: Connection) -> None:
    """On PostgreSQL, after rows came with their own positions: the next one it hands out comes after them."""
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": table.name, "column": column.name},
        )
