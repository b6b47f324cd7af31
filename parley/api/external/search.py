"""Search: the workspace's conversations by the words of their messages or of their end users."""

from __future__ import annotations

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import ExternalAuth, SearchLimit, SearchQuery, error_responses
from parley.schemas import Envelope
from parley.services import search as service
from parley.services.search import DEFAULT_SEARCH_LIMIT

router = APIRouter(tags=["search"], responses=error_responses())


@router.get("/search", response_model=Envelope[list[schemas.SearchResult]], summary="Search conversations")
async def search(
    q: SearchQuery, auth: ExternalAuth, limit: SearchLimit = DEFAULT_SEARCH_LIMIT
) -> Envelope[list[schemas.SearchResult]]:
    """One entry per conversation, newest first: its newest message holding every word, or `message: null` when its
    end user's name or email matched."""
    found = await service.search(auth.services, auth.workspace, q, limit, views=auth.views)
    return Envelope[list[schemas.SearchResult]](data=found)
