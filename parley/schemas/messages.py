"""Messages, the requests that send them, and read receipts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from parley.schemas.common import MAX_CURSOR, ClientUuid, RequestModel, StorableStr, WireModel
from parley.schemas.files import File
from parley.schemas.people import Agent, Bot, EndUser
from parley.schemas.reviews import Review

MessageSource = Literal["api", "widget", "console", "email"]
NOTE = "note"


class Message(WireModel):
    id: str
    status: Literal["sent", "delivered", "read"]
    type: Literal["text", "file", "review", "note"] = Field(
        description="`note` (extension): an internal note by an agent, shown to agents only, never to the visitor."
    )
    body: str | None
    file: File | None
    review: Review | None
    bot: Bot | None
    agent: Agent | None
    end_user: EndUser | None
    microseconds: int
    uuid: str | None = Field(default=None, description="Extension: the sender's idempotency key, if any.")
    conversation_id: str | None = Field(default=None, description="Extension: the conversation it belongs to.")
    source: MessageSource = Field(
        description="Extension: how it arrived: `api` (the External API, notes sent there included, and the bot's "
        "own messages), `widget`, `console` (anything sent through the agent API) or `email`. Messages stored "
        "before Parley recorded it read `console` when an agent wrote them, `api` when the bot did, else `widget`."
    )
    created_at: int
    updated_at: int


class SendTextRequest(RequestModel):
    uuid: ClientUuid
    text: Annotated[StorableStr, Field(min_length=1)]


class SendNoteRequest(SendTextRequest):
    agent_id: StorableStr = Field(description="The agent who writes the note: active, of this workspace.")


class SendFileRequest(RequestModel):
    file: Annotated[StorableStr, Field(min_length=1, max_length=2048, description="URL of the file to fetch.")]
    uuid: ClientUuid


class ReadRequest(RequestModel):
    until: Annotated[
        int, Field(strict=True, ge=0, le=MAX_CURSOR, description="Mark messages up to this `microseconds` read.")
    ]


class ReadReceipt(WireModel):
    marked: int = Field(description="How many messages became `read`.")
