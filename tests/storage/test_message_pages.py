"""A page of history is a range scan of the (conversation, microseconds) index, backwards as well as forwards.

The newest page of a 3,000-message conversation must cost what its first page costs: the plan must walk the index
from the cursor and stop after `limit` rows, never read the conversation whole and sort it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, event

from parley.storage.database import Database
from parley.storage.repositories import messages as message_repo

CONVERSATION = "00000000-0000-4000-8000-00000000000a"


def plan_of_page(conn: Connection, **window: Any) -> str:
    """The database's plan for the statement `message_page` runs, as one text."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", capture)
    try:
        message_repo.message_page(conn, CONVERSATION, 50, **window)
    finally:
        event.remove(conn, "before_cursor_execute", capture)
    [(statement, parameters)] = statements
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return "\n".join(str(row[-1]) for row in rows)
    conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table would be scanned whole whatever its indexes
    rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("window", "bound"), [({"before": 9007199254740991}, "microseconds<"), ({"after": 0}, "microseconds>")]
)
async def test_a_page_walks_the_conversation_index_without_sorting(
    database_url: str, window: dict[str, int], bound: str
) -> None:
    db = Database(database_url)
    try:
        plan = await db.read(plan_of_page, **window)
    finally:
        await db.dispose()
    # SQLite: "SEARCH messages USING INDEX ... (conversation_id=? AND microseconds<?)";
    # PostgreSQL: "Index Scan Backward using ... Index Cond: (((conversation_id)::text = ...) AND (microseconds < ..."
    compact = plan.replace(" ", "").replace("(", "").replace(")", "").replace("::text", "").upper()
    assert "USINGINDEX" in compact or "INDEXCOND" in compact, plan
    assert "CONVERSATION_ID=" in compact and f"AND{bound.upper()}" in compact, plan
    assert "SORT" not in compact, plan
