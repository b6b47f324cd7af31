"""insert_rows runs an INSERT as the driver's own executemany, and refuses columns it would not convert."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select

from parley.storage.bulk import insert_rows
from parley.storage.models import Base, Bot, EndUser, Workspace


def test_insert_rows_store_what_an_executemany_would() -> None:
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
        for n in range(3)
    ]
    bots = [
        {"id": f"b{n}", "workspace_id": f"w{n}", "name": f"B{n}", "created_at": n, "updated_at": n} for n in range(3)
    ]

    with engine.begin() as conn:
        conn.execute(insert(Workspace), workspaces)
        assert insert_rows(conn, insert(Bot), bots).rowcount == 3
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
