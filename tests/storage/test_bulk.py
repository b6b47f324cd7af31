"""insert_rows runs an INSERT with the driver's own parameters (multi-row statements on SQLite), and refuses columns
it would not convert."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.dialects import sqlite

from parley.storage.bulk import insert_rows
from parley.storage.models import Base, Bot, EndUser, Workspace


@pytest.mark.parametrize("in_few_statements", [False, True])
@pytest.mark.parametrize("count", [2, 3, 64, 67])
def test_insert_rows_store_what_an_executemany_would_and_count_what_a_conflict_skipped(
    count: int, in_few_statements: bool
) -> None:
    """As an executemany, or in statements of 64, 2 and 1 rows for 67: every row stored once, in its columns."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables["workspaces"], Base.metadata.tables["bots"]])
    workspaces = [
        {
            "id": f"w{n}",
            "name": "w",
            "site_key": f"k{n}",
            "is_demo": False,
            "settings": {},
            "created_at": 1,
            "updated_at": 1,
        }
        for n in range(count)
    ]
    bots = [
        {"id": f"b{n:02}", "workspace_id": f"w{n}", "name": f"B{n}", "created_at": n, "updated_at": n}
        for n in range(count)
    ]
    skipping = sqlite.insert(Bot).on_conflict_do_nothing(index_elements=["id"])

    with engine.begin() as conn:
        conn.execute(insert(Workspace), workspaces)
        assert insert_rows(conn, insert(Bot), bots[: count // 2], in_few_statements=in_few_statements) == count // 2
        assert insert_rows(conn, skipping, bots, in_few_statements=in_few_statements) == count - count // 2
        stored = conn.execute(select(Bot.id, Bot.workspace_id, Bot.name, Bot.created_at).order_by(Bot.id)).all()
    assert [tuple(row) for row in stored] == [(b["id"], b["workspace_id"], b["name"], b["created_at"]) for b in bots]


def test_insert_rows_refuse_a_column_the_dialect_converts() -> None:
    """A JSON column needs SQLAlchemy's serializer, which the driver's executemany would skip."""
    row = {"id": "w", "name": "w", "site_key": "k", "is_demo": False, "settings": {}, "created_at": 1, "updated_at": 1}
    with pytest.raises(ValueError, match="settings"), create_engine("sqlite://").connect() as conn:
        insert_rows(conn, insert(Workspace), [row])


def test_insert_rows_refuse_a_column_left_to_its_default() -> None:
    """SQLAlchemy fills Python-side defaults in; the driver would not."""
    row = {"id": "w", "workspace_id": "w", "created_at": 1, "updated_at": 1}
    with pytest.raises(ValueError, match="meta"), create_engine("sqlite://").connect() as conn:
        insert_rows(conn, insert(EndUser), [row])
