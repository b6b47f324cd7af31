"""Reviews: the visitor rates the agent (mark 1..5, optional text), may change it until they confirm, then it is
frozen. Each change is a `review.updated` event, written in the change's transaction. The integrator reads an
agent's reviews and what their confirmed marks add up to.

(A review is created by `messages.request_review`, with mark 0, inside the bot's message.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_seconds
from parley.errors import ParleyError, conflict, not_found, validation_error
from parley.services.context import Services
from parley.services.events import emit_conversation_event
from parley.services.ids import check_id
from parley.services.messages import check_text
from parley.services.paging import continue_after
from parley.services.people import find_agent
from parley.services.views import Related
from parley.services.visitors import Visitor
from parley.storage.database import Transaction
from parley.storage.records import EndUserRecord, ReviewRecord, WorkspaceRecord
from parley.storage.repositories import messages as message_repo
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import reviews as repo

MARKS = (1, 2, 3, 4, 5)


async def rate(svc: Services, visitor: Visitor, review_id: str, request: schemas.RateReviewRequest) -> schemas.Review:
    """Set the mark (and the text, when given). Setting what is already there changes nothing and emits nothing."""
    if request.text is not None:
        check_text(svc, request.text)

    def change(tx: Transaction) -> schemas.Review:
        review = _open_review_of(tx.conn, visitor, review_id)
        text = review.text if request.text is None else request.text
        if (review.mark, review.text) == (request.mark, text):
            return svc.visitor_views.review(review, _related(tx.conn, [review], visitor.end_user))
        review = repo.update_review(tx.conn, review.id, mark=request.mark, text=text, updated_at=now_seconds())
        return _rendered_with_event(svc, tx, review, visitor)

    return await svc.db.write(change)


async def confirm(svc: Services, visitor: Visitor, review_id: str) -> schemas.Review:
    """Freeze the review; it must be rated first (422)."""

    def change(tx: Transaction) -> schemas.Review:
        review = _open_review_of(tx.conn, visitor, review_id)
        if review.mark == 0:
            raise validation_error("Rate the review (mark 1..5) before confirming it.")
        review = repo.update_review(tx.conn, review.id, confirmed=True, updated_at=now_seconds())
        return _rendered_with_event(svc, tx, review, visitor)

    return await svc.db.write(change)


def _rendered_with_event(svc: Services, tx: Transaction, review: ReviewRecord, visitor: Visitor) -> schemas.Review:
    """The `review.updated` event carries the public view; the visitor gets their own."""
    related = _related(tx.conn, [review], visitor.end_user)
    public = svc.public_views.review(review, related)
    emit_conversation_event(tx, "review.updated", review.workspace_id, review.conversation_id, public)
    return svc.visitor_views.review(review, related)


def _open_review_of(conn: Connection, visitor: Visitor, review_id: str) -> ReviewRecord:
    """The visitor's own review, locked for the change; another's is unknown (404), a confirmed one frozen (409)."""
    review = repo.get_review(conn, visitor.workspace.id, check_id(review_id, "Review"), for_update=True)
    if review is None or review.end_user_id != visitor.end_user.id:
        raise not_found("Review")
    if review.confirmed:
        raise _confirmed()
    return review


def _confirmed() -> ParleyError:
    return conflict("The review is confirmed and can no longer change.", code="review_confirmed")


async def list_agent_reviews(
    svc: Services, workspace: WorkspaceRecord, agent_id: str, after: str | None, limit: int
) -> list[schemas.Review]:
    """Newest first; `after` is the id of the last review of the previous page."""

    def load(conn: Connection) -> list[schemas.Review]:
        agent = find_agent(conn, workspace.id, agent_id)

        def agents_review(review_id: str) -> ReviewRecord:
            review = repo.get_review(conn, workspace.id, check_id(review_id, "Review"))
            if review is None or review.agent_id != agent.id:
                raise not_found("Review")
            return review

        cursor = continue_after(after, agents_review, lambda r: (r.created_at, r.id))
        found = repo.list_agent_reviews(conn, workspace.id, agent.id, cursor, limit)
        related = _related(conn, found)
        return [svc.trusted_views.review(r, related) for r in found]

    return await svc.db.read(load)


async def summary(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> schemas.ReviewSummary:
    """Count, mean and distribution of the agent's confirmed marks."""

    def load(conn: Connection) -> dict[int, int]:
        return repo.confirmed_mark_counts(conn, workspace.id, find_agent(conn, workspace.id, agent_id).id)

    counts = await svc.db.read(load)
    per_mark = {mark: counts.get(mark, 0) for mark in MARKS}
    count = sum(per_mark.values())
    average = round(sum(mark * n for mark, n in per_mark.items()) / count, 2) if count else None
    return schemas.ReviewSummary(
        count=count,
        average=average,
        distribution=schemas.ReviewDistribution.model_validate({str(mark): n for mark, n in per_mark.items()}),
    )


def _related(conn: Connection, reviews: Iterable[ReviewRecord], end_user: EndUserRecord | None = None) -> Related:
    """What rendering reviews needs: their agents (with avatars) and end users."""
    reviews = list(reviews)
    agents = people_repo.agents_by_id(conn, (r.agent_id for r in reviews))
    known = {end_user.id: end_user} if end_user is not None else {}
    end_users = known | people_repo.end_users_by_id(
        conn, (r.end_user_id for r in reviews if r.end_user_id not in known)
    )
    files = message_repo.files_by_id(conn, (a.avatar_file_id for a in agents.values()))
    return Related(agents=agents, end_users=end_users, files=files, reviews={r.id: r for r in reviews})
