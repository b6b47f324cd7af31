"""The console's admin pages' API: the workspace's settings and people for its owners and admins (OpenAPI tag
`admin`; an agent gets 403 `forbidden`), the same routes the External API serves (parley.api.settings)."""

from fastapi import APIRouter

from parley.api.agent.routes import TAG
from parley.api.deps import AdminAuth, AgentAuth
from parley.api.settings import (
    Tags,
    agents,
    api_tokens,
    audit_log,
    business_hours,
    canned_responses,
    mail,
    webhook,
    widget_settings,
)

PREFIX = "/api/agent/v1"
TAGS: Tags = [TAG["name"]]

routers: tuple[APIRouter, ...] = (
    agents.build(AdminAuth, TAGS, admin=True),
    api_tokens.build(AdminAuth, TAGS, admin=True),
    webhook.build(AdminAuth, TAGS, admin=True),
    widget_settings.build(AdminAuth, TAGS, admin=True),
    business_hours.build(AdminAuth, TAGS, admin=True),
    canned_responses.build(AdminAuth, AgentAuth, TAGS, admin=True),  # every agent lists them, to offer them
    audit_log.build(AdminAuth, TAGS, admin=True),
    mail.build(AdminAuth, TAGS, admin=True),
)
