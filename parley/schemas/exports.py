"""Erasure and export (issue 9): everything stored about one end user, as one document."""

from __future__ import annotations

from pydantic import Field

from parley.schemas.common import WireModel
from parley.schemas.conversations import Conversation
from parley.schemas.files import File
from parley.schemas.messages import Message
from parley.schemas.people import EndUser
from parley.schemas.reviews import Review


class EndUserExport(WireModel):
    """`GET /end-users/{id}/export`: one document with all Parley keeps about a visitor."""

    end_user: EndUser
    conversations: list[Conversation] = Field(description="Their conversations, oldest first.")
    messages: list[Message] = Field(description="Every message of those conversations (theirs and the agents').")
    reviews: list[Review] = Field(description="The reviews they were asked for or gave.")
    files: list[File] = Field(description="Metadata of the files in those messages (the bytes are at their URLs).")
    exported_at: int = Field(description="When this document was made, unix seconds.")
