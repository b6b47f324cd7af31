"""What a database says about itself: that it answers, which tables it holds, and which migration it is at.

For the readiness probe, `parley backup` and `parley port-db`, which look at a database before they use it.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection


async def ping(conn: AsyncConnection) -> None:
    """Raises when the database cannot answer the cheapest query."""
    await conn.execute(text("SELECT 1"))


async def table_names(conn: AsyncConnection) -> set[str]:
    return await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))


async def schema_revision(conn: AsyncConnection) -> str | None:
    """The Alembic revision the schema is at; None for a database no migration has touched."""
    if "alembic_version" not in await table_names(conn):
        return None
    value = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return None if value is None else str(value)
