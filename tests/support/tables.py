"""Reading the tables directly, as a test that must prove something is gone from the database does."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from parley.storage.database import Database
from parley.storage.models import Base


async def dump_tables(db: Database) -> str:
    """Every row of every table as one JSON text (rows sorted), to search for what must be gone or compare two."""

    def dump(conn: Connection) -> str:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in Base.metadata.sorted_tables:
            rows = [dict(row) for row in conn.execute(select(table)).mappings()]
            tables[table.name] = sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))
        return json.dumps(tables, ensure_ascii=False, default=str)

    return await db.read(dump)
