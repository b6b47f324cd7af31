"""What the console does: list (filtered as the inbox's folders) and count conversations, open them, reply, write
internal notes, take and release them, lock, set their status and labels, read their activity, ask for a review,
show typing, mark read, set its own availability and email notifications, offer canned responses, and listen to
the workspace's events."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, UploadFile, WebSocket

from parley import schemas
from parley.api.deps import (
    AgentAuth,
    HistoryPage,
    IdCursor,
    InboxFilters,
    Limit,
    SearchLimit,
    SearchQuery,
    error_responses,
)
from parley.api.sockets import SocketQuery, admit_or_refuse
from parley.realtime.sockets import StreamFeed, stream_events
from parley.schemas import MAX_LIST_LIMIT, Envelope
from parley.services import (
    activity,
    conversations,
    labels,
    messages,
    people,
    presence,
    search,
    workspaces,
)
from parley.services.auth import Principal
from parley.services.context import Services
from parley.services.search import DEFAULT_SEARCH_LIMIT
from parley.services.typing_indicators import relay_typing

TAG = {
    "name": "agent console",
    "description": (
        "The agent console's API. Its websocket, `GET /api/agent/v1/ws?token=<agent token>&after=<position>`, "
        "carries every event of the workspace (the spec's frames, visitors' `websocketToken` null). Each stored "
        "event's frame has a `position`: 1, 2, 3... per workspace, in commit order on every worker (typing frames, "
        "never stored, have none). Reconnecting with `after=<the last position received>` replays every later "
        "event once, in order, then goes live; without `after`, the socket carries what is committed from when "
        "it opens. An `after` above 10^12 is read as the `microseconds` cursor of clients from before positions: "
        "the replay starts at the first event of that time, so it may repeat events but never skips one."
    ),
}
router = APIRouter(prefix="/api/agent/v1", tags=[TAG["name"]], responses=error_responses())

ConversationEnvelope = Envelope[schemas.Conversation]
MessageEnvelope = Envelope[schemas.Message]
AgentEnvelope = Envelope[schemas.Agent]


@router.get("/me", response_model=Envelope[schemas.SignedInAgent], summary="The signed-in agent and their workspace")
async def me(auth: AgentAuth) -> Envelope[schemas.SignedInAgent]:
    """Who this token signs in as, and in which workspace: the console names both before a link switches sessions."""
    return Envelope[schemas.SignedInAgent](
        data=await people.signed_in_agent(auth.services, auth.workspace, auth.agent_id)
    )


@router.put("/me/availability", response_model=AgentEnvelope, summary="Set my availability")
async def set_availability(body: schemas.SetAvailabilityRequest, auth: AgentAuth) -> AgentEnvelope:
    """`online` or `away`, kept until changed (also across sign-ins). The status visitors see follows: `online`
    only while available and a console is open."""
    request = schemas.UpdateAgentRequest(availability=body.availability)
    changed = await people.update_agent(auth.services, auth.workspace, auth.agent_id, request, auth.actor)
    return AgentEnvelope(data=changed)


@router.put("/me/notifications", response_model=AgentEnvelope, summary="Turn my email notifications on or off")
async def set_email_notifications(body: schemas.SetEmailNotificationsRequest, auth: AgentAuth) -> AgentEnvelope:
    """`emailNotifications`: whether the signed-in agent is mailed about visitors' messages left unanswered and
    unread (workflow.md 3); an admin sets it too, through `PUT /agents/{id}`."""
    request = schemas.UpdateAgentRequest(email_notifications=body.email_notifications)
    changed = await people.update_agent(auth.services, auth.workspace, auth.agent_id, request, auth.actor)
    return AgentEnvelope(data=changed)


@router.get(
    "/conversations", response_model=Envelope[list[schemas.ConversationSummary]], summary="Conversations, filtered"
)
async def list_conversations(
    auth: AgentAuth, filters: InboxFilters, after: IdCursor = None, limit: Limit = 50
) -> Envelope[list[schemas.ConversationSummary]]:
    """The External API's filters and orders (`assignee=me` is the caller), each row with its last message and
    unread count."""
    if filters.assignee == "me":
        filters = replace(filters, assignee=auth.agent_id)
    found = await conversations.list_summaries(auth.services, auth.workspace, filters, after, limit, views=auth.views)
    return Envelope[list[schemas.ConversationSummary]](data=found)


@router.get(
    "/conversations/counts", response_model=Envelope[schemas.ConversationCounts], summary="The inbox folders' counts"
)
async def counts(auth: AgentAuth) -> Envelope[schemas.ConversationCounts]:
    return Envelope[schemas.ConversationCounts](
        data=await conversations.count_conversations(auth.services, auth.workspace, auth.agent_id)
    )


@router.get("/labels", response_model=Envelope[list[schemas.LabelCount]], summary="The workspace's labels")
async def list_labels(auth: AgentAuth) -> Envelope[list[schemas.LabelCount]]:
    return Envelope[list[schemas.LabelCount]](data=await labels.list_labels(auth.services, auth.workspace))


@router.get("/conversations/{id}", response_model=Envelope[schemas.Conversation], summary="A conversation")
async def get_conversation(id: str, auth: AgentAuth) -> Envelope[schemas.Conversation]:
    """One conversation, as the list and search show it: what a link to it (a notification mail's) opens."""
    found = await conversations.get_conversation(auth.services, auth.workspace, id, views=auth.views)
    return Envelope[schemas.Conversation](data=found)


@router.get("/conversations/{id}/messages", response_model=Envelope[list[schemas.Message]], summary="History")
async def history(id: str, auth: AgentAuth, window: HistoryPage, limit: Limit = 50) -> Envelope[list[schemas.Message]]:
    """Ascending: after `after`, or the newest page with `before` (see its description)."""
    found = await messages.list_messages(
        auth.services, auth.workspace, id, window, limit, views=auth.views, for_visitor=False
    )
    return Envelope[list[schemas.Message]](data=found)


@router.post(
    "/conversations/{id}/messages",
    response_model=MessageEnvelope,
    responses=error_responses(409, 423),
    summary="Reply with text",
)
async def reply(id: str, body: schemas.SendTextRequest, auth: AgentAuth) -> MessageEnvelope:
    agent = await people.agent_record(auth.services, auth.workspace, auth.agent_id)
    return MessageEnvelope(
        data=await messages.send_text(
            auth.services, auth.workspace, id, body, agent=agent, views=auth.views, source=auth.source
        )
    )


@router.post(
    "/conversations/{id}/files",
    response_model=MessageEnvelope,
    responses=error_responses(409, 413, 415, 423),
    summary="Reply with a file",
)
async def reply_with_file(
    id: str, file: UploadFile, uuid: Annotated[schemas.StorableStr, Form(min_length=1, max_length=100)], auth: AgentAuth
) -> MessageEnvelope:
    agent = await people.agent_record(auth.services, auth.workspace, auth.agent_id)
    sent = await messages.send_upload(
        auth.services, auth.workspace, id, uuid, file, agent=agent, views=auth.views, source=auth.source
    )
    return MessageEnvelope(data=sent)


@router.post(
    "/conversations/{id}/notes",
    response_model=MessageEnvelope,
    responses=error_responses(409),
    summary="Write an internal note",
)
async def write_note(id: str, body: schemas.SendTextRequest, auth: AgentAuth) -> MessageEnvelope:
    """A Message of type `note` by the signed-in agent, for agents only (never shown to the visitor); idempotent on
    `uuid`; allowed on a locked conversation."""
    return MessageEnvelope(
        data=await messages.send_note(
            auth.services, auth.workspace, id, body, auth.agent_id, views=auth.views, source=auth.source
        )
    )


@router.post(
    "/conversations/{id}/assign", response_model=ConversationEnvelope, responses=error_responses(409), summary="Take it"
)
async def assign_to_me(id: str, auth: AgentAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.assign_agent(
            auth.services, auth.workspace, id, auth.agent_id, activity.agent(auth.agent_id), views=auth.views
        )
    )


@router.post("/conversations/{id}/unassign", response_model=ConversationEnvelope, summary="Release it")
async def unassign(id: str, auth: AgentAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.unassign_agent(
            auth.services, auth.workspace, id, activity.agent(auth.agent_id), views=auth.views
        )
    )


@router.post("/conversations/{id}/lock", response_model=ConversationEnvelope, summary="Lock")
async def lock(id: str, auth: AgentAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(
            auth.services, auth.workspace, id, True, activity.agent(auth.agent_id), views=auth.views
        )
    )


@router.post("/conversations/{id}/unlock", response_model=ConversationEnvelope, summary="Unlock")
async def unlock(id: str, auth: AgentAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(
            auth.services, auth.workspace, id, False, activity.agent(auth.agent_id), views=auth.views
        )
    )


@router.post("/conversations/{id}/status", response_model=ConversationEnvelope, summary="Set the status")
async def set_status(id: str, body: schemas.SetStatusRequest, auth: AgentAuth) -> ConversationEnvelope:
    """As the External API's `POST /conversation/{id}/status`, recorded in the activity log as the caller's."""
    actor = activity.agent(auth.agent_id)
    return ConversationEnvelope(
        data=await conversations.set_status(auth.services, auth.workspace, id, body, actor, views=auth.views)
    )


@router.put("/conversations/{id}/labels", response_model=ConversationEnvelope, summary="Set the labels")
async def set_labels(id: str, body: schemas.PutLabelsRequest, auth: AgentAuth) -> ConversationEnvelope:
    """As the External API's `PUT /conversation/{id}/labels`, recorded in the activity log as the caller's."""
    actor = activity.agent(auth.agent_id)
    return ConversationEnvelope(
        data=await labels.set_labels(auth.services, auth.workspace, id, body, actor, views=auth.views)
    )


@router.get("/conversations/{id}/activity", response_model=Envelope[list[schemas.Activity]], summary="Activity log")
async def activity_log(
    id: str, auth: AgentAuth, window: HistoryPage, limit: Limit = MAX_LIST_LIMIT
) -> Envelope[list[schemas.Activity]]:
    """Who assigned, unassigned, locked, unlocked, changed the status or the labels, oldest first; paged as the
    history is (`after`, or `before` for the newest page), each entry's `microseconds` placing it among the
    messages."""
    found = await conversations.list_activity(auth.services, auth.workspace, id, window, limit)
    return Envelope[list[schemas.Activity]](data=found)


@router.post(
    "/conversations/{id}/request-review",
    response_model=MessageEnvelope,
    responses=error_responses(409, 423),
    summary="Ask the visitor to rate the conversation",
)
async def request_review(id: str, auth: AgentAuth) -> MessageEnvelope:
    return MessageEnvelope(
        data=await messages.request_review(auth.services, auth.workspace, id, views=auth.views, source=auth.source)
    )


@router.post("/conversations/{id}/read", response_model=Envelope[schemas.ReadReceipt], summary="Mark read")
async def mark_read(id: str, body: schemas.ReadRequest, auth: AgentAuth) -> Envelope[schemas.ReadReceipt]:
    marked = await messages.mark_read(auth.services, auth.workspace, id, body.until, False)
    return Envelope[schemas.ReadReceipt](data=schemas.ReadReceipt(marked=marked))


@router.post("/conversations/{id}/typing", response_model=Envelope[schemas.Typing], summary="Show typing")
async def typing(id: str, body: schemas.TypingRequest, auth: AgentAuth) -> Envelope[schemas.Typing]:
    conversation = await conversations.get_conversation(auth.services, auth.workspace, id, views=auth.views)
    data = relay_typing(auth.services, auth.workspace.id, conversation.id, "agent", auth.agent_id, body.typing)
    return Envelope[schemas.Typing](data=data)


SOCKET_PATH = "/api/agent/v1/ws"


async def agent_socket(websocket: WebSocket, services: Services, query: SocketQuery) -> None:
    """Every event of the workspace (visitors' tokens null), each stored one with its stream `position`; `after` is
    such a position (or, from older clients, a `microseconds`). Holding it open keeps the agent online."""

    async def admit() -> Principal:
        return await workspaces.authenticate_agent(services, query.token)

    principal = await admit_or_refuse(websocket, admit)
    if principal is None or principal.agent_id is None:
        return
    workspace, agent_id = principal.workspace, principal.agent_id
    credentials = frozenset({principal.token_id, agent_id})
    feed = StreamFeed(services.db, workspace.id, agent_id, query.after, credentials)
    opened = partial(presence.console_opened, services, workspace, agent_id)
    try:
        await stream_events(websocket, services.hub, services.order, feed, subscribed=opened)
    finally:
        with contextlib.suppress(Exception):
            await presence.console_closed(services, workspace, agent_id)


@router.get("/search", response_model=Envelope[list[schemas.SearchResult]], summary="Search conversations")
async def search_conversations(
    q: SearchQuery, auth: AgentAuth, limit: SearchLimit = DEFAULT_SEARCH_LIMIT
) -> Envelope[list[schemas.SearchResult]]:
    """The External API's `GET /search`, as the console sees it: visitors' `websocketToken` null."""
    found = await search.search(auth.services, auth.workspace, q, limit, views=auth.views)
    return Envelope[list[schemas.SearchResult]](data=found)
