"""Typing indicators: relayed to the other side's sockets as they happen, never stored."""

from __future__ import annotations

from typing import Literal

from parley import schemas
from parley.services.context import Services
from parley.services.events import ephemeral_event

TYPING_EVENT = "typing"


def relay_typing(
    svc: Services,
    workspace_id: str,
    conversation_id: str | None,
    author: Literal["endUser", "agent"],
    author_id: str,
    typing: bool,
) -> schemas.Typing:
    """Without a conversation (a visitor typing their first message) there is no one to tell: nothing is sent."""
    data = schemas.Typing(conversation_id=conversation_id, author=author, author_id=author_id, typing=typing)
    if conversation_id is not None:
        svc.publish([ephemeral_event(TYPING_EVENT, workspace_id, conversation_id, data)])
    return data
