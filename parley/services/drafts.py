"""A message before the writer gives it a position: one builder for every author (visitor, agent, bot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.services.events import new_event
from parley.services.ids import new_id
from parley.services.views import Related
from parley.storage.message_writer import MessageDraft
from parley.storage.records import ConversationRef, MessageRecord, NewEvent

if TYPE_CHECKING:  # the services container imports the bot, which drafts its messages here
    from parley.services.context import Services

NEW_MESSAGE_STATUS = "delivered"


def draft_message(
    svc: Services,
    conversation: ConversationRef,
    related: Related,
    client_uuid: str | None,
    message_type: str,
    digest: str | None,
    **author_and_content: str | None,
) -> MessageDraft:
    """`related` holds what rendering needs (the author); its `message.created` event is rendered once stored."""

    def created_event(record: MessageRecord) -> NewEvent:
        public = svc.public_views.message(record, related)
        return new_event("message.created", record.workspace_id, record.conversation_id, public, record.microseconds)

    return MessageDraft(
        id=new_id(),
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        client_uuid=client_uuid,
        request_digest=digest,
        type=message_type,
        status=NEW_MESSAGE_STATUS,
        created_event=created_event,
        **author_and_content,
    )
