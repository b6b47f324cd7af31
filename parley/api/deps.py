"""What a route may ask for, as typed aliases: the services, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader

from parley import schemas
from parley.observability.middleware import note_workspace
from parley.schemas import MAX_CURSOR, MAX_LIST_LIMIT, ErrorEnvelope, MessageSource
from parley.services import audit, people, rate_limits, workspaces
from parley.services.auth import Principal, bearer_token
from parley.services.context import Services
from parley.services.conversations import ListFilters
from parley.services.messages import HistoryWindow
from parley.services.search import MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_LENGTH
from parley.services.views import Views
from parley.services.visitors import Visitor, authenticate_visitor, check_origin
from parley.storage.records import WorkspaceRecord


async def get_services(request: Request) -> Services:
    """Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a hop per request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


class CallerScheme(APIKeyHeader):
    """An `Authorization` scheme that is itself the route's dependency: its `__call__` authenticates and returns
    the caller.

    Being an `APIKeyHeader`, OpenAPI documents it as a security scheme; being the one dependency, FastAPI solves
    one level per request instead of two (a header scheme under a caller dependency measured 14 µs a request).
    """

    def __init__(self, scheme_name: str, description: str) -> None:
        super().__init__(name="Authorization", scheme_name=scheme_name, description=description, auto_error=False)


def client_ip(request: Request) -> str | None:
    """The client's address as uvicorn reports it (from `X-Forwarded-For` only behind PARLEY_TRUSTED_PROXIES)."""
    return request.client.host if request.client else None


@dataclass(frozen=True, slots=True)
class ExternalCaller:
    """An authenticated External API call: the workspace it acts for, and the services to act with."""

    services: Services
    workspace: WorkspaceRecord
    token_id: str
    ip: str | None

    @property
    def actor(self) -> audit.Actor:
        """Who the audit log names for a change made here: the API token."""
        return audit.api_token(self.token_id, self.ip)

    @property
    def views(self) -> Views:
        """The integrator's server is trusted with its visitors' tokens (the seed's answers carry them)."""
        return self.services.trusted_views

    @property
    def source(self) -> MessageSource:
        """What a message sent here records as the way it came in."""
        return "api"


class ApiTokenScheme(CallerScheme):
    async def __call__(self, request: Request) -> ExternalCaller:  # type: ignore[override]
        services: Services = request.app.state.services
        principal = await workspaces.authenticate(services, request.headers.get("authorization"))
        note_workspace(request.scope, principal.workspace.id)
        await services.rate_limits.hit(rate_limits.API_TOKEN, principal.token_id)
        return ExternalCaller(services, principal.workspace, principal.token_id, client_ip(request))


ExternalAuth = Annotated[
    ExternalCaller,
    Security(
        ApiTokenScheme("ApiToken", "The workspace's API token, bare (as the seed sends it) or as `Bearer <token>`.")
    ),
]


@dataclass(frozen=True, slots=True)
class VisitorCaller:
    services: Services
    visitor: Visitor

    @property
    def views(self) -> Views:
        """The visitor sees only their own conversations, so the only token revealed is their own (and no agent's
        email)."""
        return self.services.visitor_views

    @property
    def source(self) -> MessageSource:
        return "widget"


class VisitorTokenScheme(CallerScheme):
    async def __call__(self, request: Request) -> VisitorCaller:  # type: ignore[override]
        """The widget's caller, from a page the workspace allows (`Origin` checked when the list is not empty)."""
        services: Services = request.app.state.services
        visitor = await authenticate_visitor(services, bearer_token(request.headers.get("authorization")))
        check_origin(visitor.workspace, request.headers.get("origin"))
        note_workspace(request.scope, visitor.workspace.id)
        await services.rate_limits.hit(rate_limits.VISITOR, visitor.end_user.id)
        return VisitorCaller(services, visitor)


VisitorAuth = Annotated[
    VisitorCaller, Security(VisitorTokenScheme("VisitorToken", "The visitor's `websocketToken`, as `Bearer <token>`."))
]


@dataclass(frozen=True, slots=True)
class AgentCaller:
    services: Services
    workspace: WorkspaceRecord
    agent_id: str
    principal: Principal
    ip: str | None

    @property
    def actor(self) -> audit.Actor:
        return audit.agent(self.agent_id, self.ip)

    @property
    def views(self) -> Views:
        """Never a visitor's token: with one, an agent could post and rate as the visitor."""
        return self.services.public_views

    @property
    def source(self) -> MessageSource:
        return "console"


class AgentTokenScheme(CallerScheme):
    async def __call__(self, request: Request) -> AgentCaller:  # type: ignore[override]
        services: Services = request.app.state.services
        principal = await workspaces.authenticate_agent(services, request.headers.get("authorization"))
        assert principal.agent_id is not None
        note_workspace(request.scope, principal.workspace.id)
        await services.rate_limits.hit(rate_limits.AGENT_TOKEN, principal.token_id)
        return AgentCaller(services, principal.workspace, principal.agent_id, principal, client_ip(request))


class AdminTokenScheme(AgentTokenScheme):
    async def __call__(self, request: Request) -> AgentCaller:  # type: ignore[override]
        """An owner's or admin's: the role is read on each call (not cached), so a change of role holds from the
        next request on, on every process. An agent gets 403 `forbidden`."""
        caller = await super().__call__(request)
        await people.require_admin(caller.services, caller.workspace, caller.agent_id)
        return caller


_AGENT_TOKEN = (
    "A signed-in agent's session token (`POST /api/agent/v1/sessions`) or console token, as `Bearer <token>`."
)
AgentAuth = Annotated[AgentCaller, Security(AgentTokenScheme("AgentToken", _AGENT_TOKEN))]
AdminAuth = Annotated[AgentCaller, Security(AdminTokenScheme("AgentToken", _AGENT_TOKEN))]


Limit = Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="Page size.")]
MicrosecondsCursor = Annotated[
    int, Query(ge=0, le=MAX_CURSOR, description="Only items after this `microseconds` value.")
]


async def history_window(
    after: Annotated[
        int | None, Query(ge=0, le=MAX_CURSOR, description="Only messages after this `microseconds` value.")
    ] = None,
    before: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_CURSOR,
            description="Instead of `after`: the `limit` messages just before this `microseconds` value, still "
            "ascending. `before=9007199254740991` (the largest exact integer in JavaScript) reads the newest page; "
            "then `before=<the oldest microseconds held>` the page before it. Both `after` and `before`: 422.",
        ),
    ] = None,
) -> HistoryWindow:
    return HistoryWindow.of(after, before)


HistoryPage = Annotated[HistoryWindow, Depends(history_window)]


async def inbox_filters(
    status: Annotated[
        str | None,
        Query(
            max_length=200,
            description="One status or several, comma-separated: `open`, `pending`, `snoozed`, `resolved` "
            "(another value: 422).",
        ),
    ] = None,
    assignee: Annotated[
        str | None,
        Query(
            max_length=64,
            description="An agent's id (an unknown one gives an empty list), or `none`: nobody's. On the console's "
            "API also `me`.",
        ),
    ] = None,
    label: Annotated[
        schemas.Label | None, Query(description="Only conversations with this label (normalised as labels are).")
    ] = None,
    sort: Annotated[
        schemas.ConversationSort,
        Query(
            description="`newest` (by creation) or `waiting` (the oldest `waitingSince` first, then those nobody "
            "waits on, newest first); `after` pages within it."
        ),
    ] = "newest",
) -> ListFilters:
    """The inbox's filters, shared by the External API's list and the console's; they combine with AND."""
    return ListFilters(status=status, assignee=assignee, label=label, sort=sort)


InboxFilters = Annotated[ListFilters, Depends(inbox_filters)]
IdCursor = Annotated[str | None, Query(max_length=64, description="The id of the last item of the previous page.")]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error envelopes a route can answer, for its OpenAPI description (429: the rate limits)."""
    return {status: {"model": ErrorEnvelope} for status in sorted({401, 404, 413, 422, 429, *statuses})}


SearchQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_SEARCH_QUERY_LENGTH,
        description="Words, split on whitespace: every one whole, case-insensitive, the last also as a prefix.",
    ),
]
SearchLimit = Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="How many conversations at most.")]
