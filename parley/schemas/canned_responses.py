"""Canned responses: a workspace's reply templates, which the console offers when an agent types `/shortcut`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from parley.schemas.common import RequestModel, StorableStr, WireModel

Shortcut = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9_-]+$",
        description="1-32 characters of `a-z`, `0-9`, `_` and `-`; unique in the workspace.",
    ),
]
CannedText = Annotated[
    StorableStr, Field(min_length=1, description="What the reply box receives; at most PARLEY_MAX_TEXT_LENGTH.")
]


class CannedResponse(WireModel):
    id: str
    shortcut: str
    text: str
    created_at: int
    updated_at: int


class CreateCannedResponseRequest(RequestModel):
    shortcut: Shortcut
    text: CannedText


class UpdateCannedResponseRequest(RequestModel):
    """Partial: absent (or null) fields keep their value."""

    shortcut: Shortcut | None = None
    text: CannedText | None = None
