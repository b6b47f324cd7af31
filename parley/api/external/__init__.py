"""The External API v1 (`/api/external/v1`): the seed's endpoints and Parley's extensions."""

from fastapi import APIRouter

from parley.api.external import (
    agents,
    canned_responses,
    conversations,
    end_users,
    reviews,
    search,
    webhook,
    widget_settings,
)

PREFIX = "/api/external/v1"

# Mounted side by side on the app (not nested in a parent router): every level of nesting is matched again
# on each request. Conversations come first: they hold the hot path.
routers: tuple[APIRouter, ...] = (
    conversations.router,
    agents.router,
    end_users.router,
    webhook.router,
    reviews.router,
    widget_settings.router,
    canned_responses.router,
    search.router,
)
