"""A message before the writer gives it a position: one builder for every author (visitor, agent, bot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley import schemas
from parley.services.ids import new_id
from parley.services.views import Related
from parley.storage.message_writer import MessageDraft
from parley.storage.records import ConversationRef, MessageRecord

if TYPE_CHECKING:  # the services container imports the bot, which drafts its messages here
    from parley.services.context import Services

NEW_MESSAGE_STATUS = "delivered"
_AUTHOR_AND_CONTENT = ("body", "file_id", "review_id", "bot_id", "agent_id", "end_user_id")


def draft_message(
    svc: Services,
    conversation: ConversationRef,
    related: Related,
    client_uuid: str | None,
    message_type: str,
    digest: str | None,
    source: schemas.MessageSource,
    **author_and_content: str | None,
) -> MessageDraft:
    """The message rendered for everyone now, from `related` (what rendering needs: the author, the file, the
    review); the writer completes it with the position and times it gets (zero until then). `source` is the way it
    came in: the caller's surface (`auth.source`), or `api` for what the bot posts by itself."""
    message_id = new_id()
    columns = dict.fromkeys(_AUTHOR_AND_CONTENT) | author_and_content
    unplaced = MessageRecord(
        id=message_id,
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        client_uuid=client_uuid,
        request_digest=digest,
        status=NEW_MESSAGE_STATUS,
        type=message_type,
        microseconds=0,
        source=source,
        created_at=0,
        updated_at=0,
        **columns,  # the author's id and the content's, by column name
    )
    return MessageDraft(
        id=message_id,
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        client_uuid=client_uuid,
        request_digest=digest,
        type=message_type,
        status=NEW_MESSAGE_STATUS,
        source=source,
        public=svc.public_views.message(unplaced, related),
        event_id=new_id(),
        **author_and_content,
    )
