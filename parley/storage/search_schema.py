"""The search indexes (migration 0013) live outside the models: SQLite's FTS5 tables and their shadow tables,
PostgreSQL's GIN expression indexes. Schema comparisons (Alembic's autogenerate, the migrations test) skip them."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Literal

SEARCH_TABLES = ("message_search", "end_user_search")
SEARCH_INDEXES = frozenset({"ix_messages_search", "ix_end_users_search"})


ObjectKind = Literal[
    "schema", "table", "column", "index", "unique_constraint", "foreign_key_constraint", "check_constraint"
]
ParentNames = MutableMapping[Literal["schema_name", "table_name", "schema_qualified_table_name"], str | None]


def include_name(name: str | None, kind: ObjectKind, _parents: ParentNames) -> bool:
    """Alembic's `include_name` hook: every schema object but the search indexes."""
    if name is None:
        return True
    if kind == "table":
        return not any(name == table or name.startswith(f"{table}_") for table in SEARCH_TABLES)
    return not (kind == "index" and name in SEARCH_INDEXES)
