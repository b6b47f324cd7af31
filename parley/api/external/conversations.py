"""Conversations and their messages: the seed's four endpoints and the extensions around them."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, InboxFilters, Limit, MicrosecondsCursor, error_responses
from parley.schemas import Envelope
from parley.services import activity, conversations, labels, messages

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
    return MessageEnvelope(
        data=await messages.send_text(auth.services, auth.workspace, id, body, views=auth.views, source=auth.source)
    )


@router.post("/conversations", response_model=ConversationEnvelope, summary="Open a conversation for an end user")
async def create_conversation(body: schemas.CreateConversationRequest, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.create_conversation(auth.services, auth.workspace, body, views=auth.views)
    )


@router.get("/conversations", response_model=Envelope[list[schemas.Conversation]], summary="List conversations")
async def list_conversations(
    auth: ExternalAuth,
    filters: InboxFilters,
    after: IdCursor = None,
    limit: Limit = 50,
    end_user_id: Annotated[str | None, Query(alias="endUserId", max_length=64)] = None,
    agent_id: Annotated[str | None, Query(alias="agentId", max_length=64)] = None,
) -> Envelope[list[schemas.Conversation]]:
    """Newest first, or longest waiting first (`sort`). Filter by status, assignee, label, end user or assigned
    agent, combined with AND; page with `after` (the last id seen)."""
    filters = replace(filters, end_user_id=end_user_id, agent_id=agent_id)
    found = await conversations.list_conversations(
        auth.services, auth.workspace, filters, after, limit, views=auth.views
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
        data=await conversations.assign_agent(
            auth.services, auth.workspace, id, body.agent_id, activity.API, views=auth.views
        )
    )


@router.post("/conversation/{id}/unassign-agent", response_model=ConversationEnvelope, summary="Unassign the agent")
async def unassign_agent(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.unassign_agent(auth.services, auth.workspace, id, activity.API, views=auth.views)
    )


@router.post("/conversation/{id}/lock", response_model=ConversationEnvelope, summary="Lock: refuse new messages")
async def lock(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(auth.services, auth.workspace, id, True, activity.API, views=auth.views)
    )


@router.post("/conversation/{id}/unlock", response_model=ConversationEnvelope, summary="Unlock")
async def unlock(id: str, auth: ExternalAuth) -> ConversationEnvelope:
    return ConversationEnvelope(
        data=await conversations.set_locked(auth.services, auth.workspace, id, False, activity.API, views=auth.views)
    )


@router.post("/conversation/{id}/status", response_model=ConversationEnvelope, summary="Set the status")
async def set_status(id: str, body: schemas.SetStatusRequest, auth: ExternalAuth) -> ConversationEnvelope:
    """`open`, `pending`, `snoozed` (with `snoozedUntil`, in the future) or `resolved`; anything else is 422 and
    changes nothing. Each change is a `conversation.status_changed` event; the same status again changes nothing."""
    return ConversationEnvelope(
        data=await conversations.set_status(auth.services, auth.workspace, id, body, activity.API, views=auth.views)
    )


@router.put("/conversation/{id}/labels", response_model=ConversationEnvelope, summary="Set the labels")
async def set_labels(id: str, body: schemas.PutLabelsRequest, auth: ExternalAuth) -> ConversationEnvelope:
    """Replaces the conversation's set; a change is a `conversation.labels_changed` event."""
    return ConversationEnvelope(
        data=await labels.set_labels(auth.services, auth.workspace, id, body, activity.API, views=auth.views)
    )


@router.get("/labels", response_model=Envelope[list[schemas.LabelCount]], summary="The workspace's labels")
async def list_labels(auth: ExternalAuth) -> Envelope[list[schemas.LabelCount]]:
    """Every label at least one conversation carries, sorted by name, with how many carry it."""
    return Envelope[list[schemas.LabelCount]](data=await labels.list_labels(auth.services, auth.workspace))


@router.post(
    "/conversation/{id}/send-file-message",
    response_model=MessageEnvelope,
    responses=error_responses(409, 415, 423),
    summary="Send File Message",
)
async def send_file_message(id: str, body: schemas.SendFileRequest, auth: ExternalAuth) -> MessageEnvelope:
    """Parley fetches the URL (http/https, public addresses only, size-capped), then stores it by content."""
    return MessageEnvelope(
        data=await messages.send_file(auth.services, auth.workspace, id, body, views=auth.views, source=auth.source)
    )


@router.post(
    "/conversation/{id}/request-review",
    response_model=MessageEnvelope,
    responses=error_responses(409, 423),
    summary="Request Review",
)
async def request_review(id: str, auth: ExternalAuth) -> MessageEnvelope:
    """Needs an assigned agent; the bot posts a review message the visitor rates from the widget."""
    return MessageEnvelope(
        data=await messages.request_review(auth.services, auth.workspace, id, views=auth.views, source=auth.source)
    )


@router.post(
    "/conversation/{id}/send-note",
    response_model=MessageEnvelope,
    responses=error_responses(409),
    summary="Send an internal note",
)
async def send_note(id: str, body: schemas.SendNoteRequest, auth: ExternalAuth) -> MessageEnvelope:
    """A Message of type `note` by the agent `agentId` (404 for another workspace's, 409 `conflict` for an
    inactive one), for agents only: never shown to the visitor. Idempotent on `uuid` like send-text-message;
    allowed on a locked conversation; it changes neither `status` nor `waitingSince`."""
    return MessageEnvelope(
        data=await messages.send_note(
            auth.services, auth.workspace, id, body, body.agent_id, views=auth.views, source=auth.source
        )
    )


@router.get("/conversation/{id}/messages", response_model=Envelope[list[schemas.Message]], summary="Message history")
async def list_messages(
    id: str, auth: ExternalAuth, after: MicrosecondsCursor = 0, limit: Limit = 50
) -> Envelope[list[schemas.Message]]:
    """Ascending by `microseconds`; pass the last one seen as `after` for the next page."""
    return Envelope[list[schemas.Message]](
        data=await messages.list_messages(
            auth.services, auth.workspace, id, messages.HistoryWindow(after), limit, views=auth.views, for_visitor=False
        )
    )
