"""What a database says about itself: that it answers, which tables it holds, and which migration it is at.

For the readiness probe, `parley backup` and `parley port-db`, which look at a database before they use it.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text


def ping(conn: Connection) -> None:
    """Raises when the database cannot answer the cheapest query."""
    conn.execute(text("SELECT 1"))


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the schema is at; None for a database no migration has touched."""
    if "alembic_version" not in table_names(conn):
        return None
    value = (conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return None if value is None else str(value)
