"""Search: a conversation found by the words of one of its messages, or of its end user's name or email."""

from __future__ import annotations

from parley.schemas.common import WireModel
from parley.schemas.conversations import Conversation
from parley.schemas.messages import Message


class SearchResult(WireModel):
    conversation: Conversation
    message: Message | None = None
    """The conversation's newest matching message; null when only its end user's name or email matched."""
