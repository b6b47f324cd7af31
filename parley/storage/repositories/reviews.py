"""Reviews: the visitor's rating of an agent, changed until confirmed, and what an agent's reviews add up to.

(A review is created with its bot message: `messages.add_review`; reading reviews by id is `messages.reviews_by_id`.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from parley.storage.models import Review
from parley.storage.records import ReviewRecord
from parley.storage.repositories._query import fetch_all, fetch_one, keyset_after


def get_review(conn: Connection, workspace_id: str, review_id: str, for_update: bool = False) -> ReviewRecord | None:
    """With `for_update`, the row stays locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    stmt = select(Review).where(Review.id == review_id, Review.workspace_id == workspace_id)
    if for_update:
        stmt = stmt.with_for_update()
    return fetch_one(conn, stmt, ReviewRecord)


def update_review(conn: Connection, review_id: str, **values: Any) -> ReviewRecord:
    stmt = update(Review).where(Review.id == review_id).values(**values).returning(*Review.__table__.columns)
    return ReviewRecord.from_row((conn.execute(stmt)).one())


def list_agent_reviews(
    conn: Connection, workspace_id: str, agent_id: str, after: tuple[int, str] | None, limit: int
) -> list[ReviewRecord]:
    """Newest first, by (created_at, id): a total order, so keyset pages never repeat or skip a review."""
    stmt = select(Review).where(Review.agent_id == agent_id, Review.workspace_id == workspace_id)
    stmt = keyset_after(stmt, [Review.created_at, Review.id], after, descending=True).limit(limit)
    return fetch_all(conn, stmt, ReviewRecord)


def confirmed_mark_counts(conn: Connection, workspace_id: str, agent_id: str) -> dict[int, int]:
    """How many confirmed reviews of the agent gave each mark (marks no review gave are absent)."""
    stmt = (
        select(Review.mark, func.count())
        .where(Review.agent_id == agent_id, Review.workspace_id == workspace_id, Review.confirmed.is_(True))
        .group_by(Review.mark)
    )
    return {int(row[0]): int(row[1]) for row in conn.execute(stmt)}
