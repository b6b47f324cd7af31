"""Site visitors: their sessions (anonymous from a site key, or identified by the integrator's token)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from parley import schemas
from parley.errors import ParleyError, not_found, unauthorized
from parley.realtime.sockets import Audience
from parley.services import business_hours, conversations, people, workspaces
from parley.services.context import Services
from parley.services.ids import check_id
from parley.storage.records import ConversationRef, EndUserRecord, WorkspaceRecord
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import workspaces as workspace_repo


@dataclass(frozen=True, slots=True)
class Visitor:
    workspace: WorkspaceRecord
    end_user: EndUserRecord


async def authenticate_visitor(svc: Services, token: str | None) -> Visitor:
    """The visitor's `websocketToken` names their end user; the end user names the workspace."""
    if not token:
        raise unauthorized("A visitor token is required.")
    end_user_id = check_id(svc.websocket_tokens.subject(token), "End user")
    end_user = await people.cached_end_user(svc, end_user_id)
    if end_user is None:
        raise unauthorized("The visitor token names no visitor.")
    workspace = await svc.workspaces.get(
        end_user.workspace_id, partial(workspaces.get_workspace, svc, end_user.workspace_id)
    )
    if workspace is None:
        raise unauthorized("The visitor token names no visitor.")
    return Visitor(workspace, end_user)


def check_origin(workspace: WorkspaceRecord, origin: str | None) -> None:
    """When the workspace lists allowed origins, a browser page from anywhere else is refused."""
    allowed = workspace.widget_settings.allowed_origins
    if allowed and origin not in allowed:
        raise ParleyError(403, "origin_not_allowed", "This page's origin may not use this workspace's widget.")


async def start_session(
    svc: Services, site_key: str | None, token: str | None, origin: str | None
) -> schemas.WidgetSession:
    """Resume the visitor named by `token`, or start an anonymous one on the workspace of `site_key`. Opens no
    conversation: an empty one would wait in every agent's inbox for a visitor who may never write."""
    if token:
        visitor = await authenticate_visitor(svc, token)
        workspace = visitor.workspace
        check_origin(workspace, origin)
        end_user = svc.visitor_views.end_user(visitor.end_user)
    elif site_key:
        found = await svc.db.read(workspace_repo.get_workspace_by_site_key, site_key)
        if found is None:
            raise not_found("Site key")
        workspace = found
        check_origin(workspace, origin)
        end_user = await people.create_anonymous_visitor(svc, workspace)
    else:
        raise unauthorized("Send a siteKey, or a visitor token to resume.")
    current = await _load_current_conversation(svc, workspace.id, end_user.id)
    conversation = (
        None
        if current is None
        else await conversations.get_conversation(svc, workspace, current.id, views=svc.visitor_views)
    )
    settings = await widget_settings(svc, workspace)
    return schemas.WidgetSession(end_user=end_user, conversation=conversation, settings=settings)


async def current_conversation(svc: Services, visitor: Visitor) -> ConversationRef | None:
    """The conversation the widget shows and writes to: the visitor's newest one that is not locked, or None before
    their first message (which opens one) and after a lock (their next message opens another).

    Every widget call asks, so it is cached; a newer conversation's `conversation.created` event and a lock or
    unlock, in whichever process they happen, drop the entry (`Services.observe`)."""
    load = partial(_load_current_conversation, svc, visitor.workspace.id, visitor.end_user.id)
    return await svc.current_conversations.get(visitor.end_user.id, load)


async def _load_current_conversation(svc: Services, workspace_id: str, end_user_id: str) -> ConversationRef | None:
    return await svc.db.read(conversation_repo.latest_open_conversation_of, workspace_id, end_user_id)


async def widget_settings(svc: Services, workspace: WorkspaceRecord) -> schemas.WidgetSettings:
    """What the widget shows, and whether the team is away now (and until when, by the business hours)."""
    settings = workspace.widget_settings
    state = await business_hours.away(svc, workspace)
    return schemas.WidgetSettings(
        title=settings.title,
        accent_color=settings.accent_color,
        greeting=settings.greeting,
        away_message=settings.away_message,
        away=state.away,
        back_at=state.back_at,
        ask_email_after_seconds=settings.ask_email_after_seconds,
    )


async def audience(svc: Services, visitor: Visitor) -> Audience:
    """What the visitor's socket carries: their conversations, and the status of the agents assigned to them."""

    def load(conn: Connection) -> tuple[set[str], set[str]]:
        ids = set(conversation_repo.conversation_ids_of(conn, visitor.workspace.id, visitor.end_user.id))
        return ids, conversation_repo.assigned_agent_ids(conn, sorted(ids))

    ids, agents = await svc.db.read(load)
    return Audience(visitor.workspace.id, visitor.end_user.id, ids, agents)


async def conversation_ids(svc: Services, visitor: Visitor) -> set[str]:
    """Every conversation of the visitor's, as stored now."""
    return set(await svc.db.read(conversation_repo.conversation_ids_of, visitor.workspace.id, visitor.end_user.id))
