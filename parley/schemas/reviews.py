"""Reviews: the one a visitor is asked for, the visitor's rating, and an agent's summary."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from parley.schemas.common import RequestModel, StorableStr, WireModel
from parley.schemas.people import Agent, EndUser


class Review(WireModel):
    id: str
    agent: Agent
    end_user: EndUser
    mark: int = Field(ge=0, le=5, description="0 until the visitor rates, then 1..5.")
    confirmed: bool
    text: str
    created_at: int
    updated_at: int


class RateReviewRequest(RequestModel):
    mark: Annotated[int, Field(strict=True, ge=1, le=5, description="1 (worst) to 5 (best).")]
    text: StorableStr | None = Field(
        default=None,
        description="An optional comment, at most PARLEY_MAX_TEXT_LENGTH characters; absent or null keeps the current.",
    )


class ReviewDistribution(WireModel):
    """How many confirmed reviews gave each mark."""

    one: int = Field(alias="1")
    two: int = Field(alias="2")
    three: int = Field(alias="3")
    four: int = Field(alias="4")
    five: int = Field(alias="5")


class ReviewSummary(WireModel):
    count: int = Field(description="How many confirmed reviews the agent has.")
    average: float | None = Field(description="Their mean mark, rounded to two decimals; null when there are none.")
    distribution: ReviewDistribution
