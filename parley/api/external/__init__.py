"""The External API v1 (`/api/external/v1`): the seed's endpoints and Parley's extensions."""

from fastapi import APIRouter

from parley.api.deps import ExternalAuth
from parley.api.external import conversations, end_users, reviews, search
from parley.api.settings import (
    agents,
    api_tokens,
    audit_log,
    business_hours,
    canned_responses,
    mail,
    webhook,
    widget_settings,
)

PREFIX = "/api/external/v1"

# Mounted side by side on the app (not nested in a parent router): every level of nesting is matched again
# on each request. Conversations come first: they hold the hot path.
routers: tuple[APIRouter, ...] = (
    conversations.router,
    agents.build(ExternalAuth, ["agents"]),
    end_users.router,
    webhook.build(ExternalAuth, ["webhook"]),
    reviews.router,
    widget_settings.build(ExternalAuth, ["widget settings"]),
    business_hours.build(ExternalAuth, ["business hours"]),
    canned_responses.build(ExternalAuth, ExternalAuth, ["canned responses"]),
    search.router,
    api_tokens.build(ExternalAuth, ["api tokens"]),
    audit_log.build(ExternalAuth, ["audit log"]),
    mail.build(ExternalAuth, ["mail"]),
)
