"""Conversations and their messages: the seed's four endpoints and the extensions around them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, Limit, MicrosecondsCursor, error_responses
from parley.schemas import Envelope
from parley.services import conversations, messages

router = APIRouter(tags=["conversations"], responses=error_responses())

ConversationEnvelope = Envelope[schemas.Conversation]
MessageEnvelope = Envelope[schemas.Message]


# The hot path first: routes are matched in order.
@router.post(
    "/conversation/{id}/send-text-message",
    response_model=MessageEnvelope,
    responses=error_responses(409, 423),
    summary="Send Text Message",
)
async def send_text_message(id: str, body: schemas.SendTextRequest, auth: ExternalAuth) -> MessageEnvelope:
    """Idempotent on `uuid`: a repeat returns the first message; the same uuid with other text is 409."""
    return MessageEnvelope(data=await messages.send_text(auth.services, auth.workspace, id, body, views=auth.views))


@router.post("/conversations", response_model=ConversationEnvelope, summary="Open a conversation for an end user")
async def create_conversation(body: schemas.CreateConversationRequest, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.create_conversation(auth.services, auth.workspace, body, views=auth.views)
    )


@router.get("/conversations", response_model=Envelope[list[schemas.Conversation]], summary="List conversations")
async def list_conversations(
    auth: ExternalAuth,
    after: IdCursor = None,
    limit: Limit = 50,
    end_user_id: Annotated[str | None, Query(alias="endUserId", max_length=64)] = None,
    agent_id: Annotated[str | None, Query(alias="agentId", max_length=64)] = None,
) -> Envelope[list[schemas.Conversation]]:
    """Newest first. Filter by end user or assigned agent; page with `after` (the last id seen)."""
    found = await conversations.list_conversations(
        auth.services, auth.workspace, after, limit, end_user_id, agent_id, views=auth.views
    )
    return Envelope[list[schemas.Conversation]](data=found)


@router.get("/conversation/{id}", response_model=ConversationEnvelope, summary="Get a conversation")
async def get_conversation(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.get_conversation(auth.services, auth.workspace, id, views=auth.views)
    )


@router.post(
    "/conversation/{id}/assign-agent",
    response_model=ConversationEnvelope,
    responses=error_responses(409),
    summary="Assign Agent",
)
async def assign_agent(id: str, body: schemas.AssignAgentRequest, auth: ExternalAuth) -> ConversationEnvelope:
    """The agent must be active and in the same workspace; assigning the same agent again changes nothing."""
    return ConversationEnvelope(
        data=await conversations.assign_agent(auth.services, auth.workspace, id, body.agent_id, views=auth.views)
    )


@router.post("/conversation/{id}/unassign-agent", response_model=ConversationEnvelope, summary="Unassign the agent")
async def unassign_agent(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.unassign_agent(auth.services, auth.workspace, id, views=auth.views)
    )


@router.post("/conversation/{id}/lock", response_model=ConversationEnvelope, summary="Lock: refuse new messages")
async def lock(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(auth.services, auth.workspace, id, locked=True, views=auth.views)
    )


@router.post("/conversation/{id}/unlock", response_model=ConversationEnvelope, summary="Unlock")
async def unlock(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(auth.services, auth.workspace, id, locked=False, views=auth.views)
    )


@router.post(
    "/conversation/{id}/send-file-message",
    response_model=MessageEnvelope,
    responses=error_responses(409, 415, 423),
    summary="Send File Message",
)
async def send_file_message(id: str, body: schemas.SendFileRequest, auth: ExternalAuth) -> MessageEnvelope:
    """Parley fetches the URL (http/https, public addresses only, size-capped), then stores it by content."""
    return MessageEnvelope(data=await messages.send_file(auth.services, auth.workspace, id, body, views=auth.views))


@router.post(
    "/conversation/{id}/request-review",
    response_model=MessageEnvelope,
    responses=error_responses(409, 423),
    summary="Request Review",
)
async def request_review(id: str, auth: ExternalAuth) -> MessageEnvelope:
    """Needs an assigned agent; the bot posts a review message the visitor rates from the widget."""
    return MessageEnvelope(data=await messages.request_review(auth.services, auth.workspace, id, views=auth.views))


@router.get("/conversation/{id}/messages", response_model=Envelope[list[schemas.Message]], summary="Message history")
async def list_messages(
    id: str, auth: ExternalAuth, after: MicrosecondsCursor = 0, limit: Limit = 50
) -> Envelope[list[schemas.Message]]:
    """Ascending by `microseconds`; pass the last one seen as `after` for the next page."""
    return Envelope[list[schemas.Message]](
        data=await messages.list_messages(
            auth.services, auth.workspace, id, messages.HistoryWindow(after), limit, views=auth.views
        )
    )
