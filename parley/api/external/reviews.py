"""An agent's reviews: the visitors' marks, and what the confirmed ones add up to."""

from __future__ import annotations

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, Limit, error_responses
from parley.schemas import Envelope
from parley.services import reviews

router = APIRouter(prefix="/agents", tags=["reviews"], responses=error_responses())


@router.get("/{id}/reviews", response_model=Envelope[list[schemas.Review]], summary="An agent's reviews")
async def list_reviews(
    id: str, auth: ExternalAuth, after: IdCursor = None, limit: Limit = 50
) -> Envelope[list[schemas.Review]]:
    """Newest first, rated or not; `after` is the id of the last review of the previous page."""
    found = await reviews.list_agent_reviews(auth.services, auth.workspace, id, after, limit)
    return Envelope[list[schemas.Review]](data=found)


@router.get("/{id}/reviews/summary", response_model=Envelope[schemas.ReviewSummary], summary="An agent's average mark")
async def review_summary(id: str, auth: ExternalAuth) -> Envelope[schemas.ReviewSummary]:
    """Count, average and distribution of the agent's confirmed reviews (`average` is null while there are none)."""
    return Envelope[schemas.ReviewSummary](data=await reviews.summary(auth.services, auth.workspace, id))
