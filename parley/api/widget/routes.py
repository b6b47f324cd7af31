"""The visitor's session, messages, read receipts, typing, and websocket."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile, WebSocket

from parley import schemas
from parley.api.deps import HistoryPage, Limit, VisitorAuth, error_responses
from parley.api.sockets import SocketQuery, admit_or_refuse
from parley.realtime.sockets import ConversationFeed, stream_events
from parley.schemas import Envelope
from parley.services import messages, people, reviews, visitors
from parley.services.auth import bearer_token
from parley.services.context import Services
from parley.services.typing_indicators import relay_typing

router = APIRouter(prefix="/api/widget/v1", tags=["widget"], responses=error_responses(403))

MessageEnvelope = Envelope[schemas.Message]


@router.post(
    "/session",
    response_model=Envelope[schemas.WidgetSession],
    summary="Start or resume a visitor session",
    openapi_extra={"security": [{}, {"VisitorToken": []}]},  # the token is optional: a site key starts anonymously
)
async def session(request: Request, body: schemas.SessionRequest | None = None) -> Envelope[schemas.WidgetSession]:
    """Anonymous with `{"siteKey"}`; or resume (or take over an identified visitor) with the visitor's token."""
    token = bearer_token(request.headers.get("authorization"))
    site_key = body.site_key if body else None
    if not token:  # an anonymous session creates a visitor: limited per client address
        await request.app.state.services.rate_limits.hit_address(request.client.host if request.client else None)
    found = await visitors.start_session(request.app.state.services, site_key, token, request.headers.get("origin"))
    return Envelope[schemas.WidgetSession](data=found)


@router.put("/me", response_model=Envelope[schemas.EndUser], summary="Leave an email (and a name)")
async def update_me(body: schemas.UpdateVisitorRequest, auth: VisitorAuth) -> Envelope[schemas.EndUser]:
    """`{"email", "name"}`, each optional: the visitor's own. With an email, answers they have not read are mailed
    to them (`PARLEY_NOTIFY_VISITOR_AFTER_SECONDS`); the External API's end user shows it. 422 for an invalid email."""
    changed = await people.update_visitor(auth.services, auth.visitor.end_user, body)
    return Envelope[schemas.EndUser](data=auth.views.end_user(changed))


@router.get("/messages", response_model=Envelope[list[schemas.Message]], summary="The visitor's history")
async def list_messages(auth: VisitorAuth, window: HistoryPage, limit: Limit = 50) -> Envelope[list[schemas.Message]]:
    """The visitor's current conversation (their newest that is not locked), ascending: after `after`, or the newest
    page with `before` (see its description). Empty before their first message."""
    conversation = await visitors.current_conversation(auth.services, auth.visitor)
    found = (
        []
        if conversation is None
        else await messages.list_messages(
            auth.services, auth.visitor.workspace, conversation.id, window, limit, views=auth.views, for_visitor=True
        )
    )
    return Envelope[list[schemas.Message]](data=found)


@router.post("/messages", response_model=MessageEnvelope, responses=error_responses(409), summary="Send text")
async def send_message(body: schemas.SendTextRequest, auth: VisitorAuth) -> MessageEnvelope:
    """Idempotent on `uuid`, exactly as the External API's send-text-message. The visitor's first message, and their
    first after a lock, opens a new conversation (with its greeting, before this message)."""
    return MessageEnvelope(
        data=await messages.send_visitor_text(auth.services, auth.visitor, body, views=auth.views, source=auth.source)
    )


@router.post("/files", response_model=MessageEnvelope, responses=error_responses(409, 413, 415), summary="Send a file")
async def send_file(
    file: UploadFile, uuid: Annotated[schemas.StorableStr, Form(min_length=1, max_length=100)], auth: VisitorAuth
) -> MessageEnvelope:
    """Multipart: the `file` and the message's `uuid`. Images get thumbnails; anything else is a download. Opens a
    conversation as a text message does."""
    sent = await messages.send_visitor_upload(
        auth.services, auth.visitor, uuid, file, views=auth.views, source=auth.source
    )
    return MessageEnvelope(data=sent)


@router.post("/read", response_model=Envelope[schemas.ReadReceipt], summary="Mark the agent's messages read")
async def mark_read(body: schemas.ReadRequest, auth: VisitorAuth) -> Envelope[schemas.ReadReceipt]:
    """In the visitor's current conversation; before their first message there is nothing to mark (`marked: 0`)."""
    conversation = await visitors.current_conversation(auth.services, auth.visitor)
    marked = (
        0
        if conversation is None
        else await messages.mark_read(auth.services, auth.visitor.workspace, conversation.id, body.until, True)
    )
    return Envelope[schemas.ReadReceipt](data=schemas.ReadReceipt(marked=marked))


@router.post("/typing", response_model=Envelope[schemas.Typing], summary="Tell the agent the visitor is typing")
async def typing(body: schemas.TypingRequest, auth: VisitorAuth) -> Envelope[schemas.Typing]:
    """Relayed in the visitor's current conversation; before their first message there is no one to tell
    (`conversationId` null, nothing relayed)."""
    conversation = await visitors.current_conversation(auth.services, auth.visitor)
    visitor = auth.visitor
    data = relay_typing(
        auth.services,
        visitor.workspace.id,
        None if conversation is None else conversation.id,
        "endUser",
        visitor.end_user.id,
        body.typing,
    )
    return Envelope[schemas.Typing](data=data)


@router.post(
    "/reviews/{id}", response_model=Envelope[schemas.Review], responses=error_responses(409), summary="Rate a review"
)
async def rate_review(id: str, body: schemas.RateReviewRequest, auth: VisitorAuth) -> Envelope[schemas.Review]:
    """A review the bot asked for in the visitor's conversation: mark 1..5 and an optional text, changeable until
    confirmed (then 409 `review_confirmed`)."""
    return Envelope[schemas.Review](data=await reviews.rate(auth.services, auth.visitor, id, body))


@router.post(
    "/reviews/{id}/confirm",
    response_model=Envelope[schemas.Review],
    responses=error_responses(409),
    summary="Confirm a review",
)
async def confirm_review(id: str, auth: VisitorAuth) -> Envelope[schemas.Review]:
    """Freezes the review (`confirmed: true`); it must be rated first (422)."""
    return Envelope[schemas.Review](data=await reviews.confirm(auth.services, auth.visitor, id))


SOCKET_PATH = "/api/widget/v1/ws"


async def visitor_socket(websocket: WebSocket, services: Services, query: SocketQuery) -> None:
    """Events of the visitor's own conversations; with `after`, what came since that `microseconds` first."""

    async def admit() -> visitors.Visitor:
        visitor = await visitors.authenticate_visitor(services, query.token)
        visitors.check_origin(visitor.workspace, websocket.headers.get("origin"))
        return visitor

    visitor = await admit_or_refuse(websocket, admit)
    if visitor is not None:
        audience = await visitors.audience(services, visitor)
        conversations_now = partial(visitors.conversation_ids, services, visitor)
        feed = ConversationFeed(services.db, audience, query.after, conversations_now)
        await stream_events(websocket, services.hub, services.order, feed)
