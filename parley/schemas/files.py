"""Files as the seed shows them: their metadata and the URLs of their sizes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from parley.schemas.common import WireModel


class FileMeta(WireModel):
    width: int
    height: int


class FileInfo(WireModel):
    ext: str
    name: str
    path: str
    size: int
    mime_type: str


class FileUrls(WireModel):
    small: str = Field(alias="120x120")
    medium: str = Field(alias="520x400")
    default: str


class File(WireModel):
    id: str
    type: Literal["image", "video", "audio", "file"]
    meta: FileMeta | None
    info: FileInfo
    url: FileUrls
    created_at: int
    updated_at: int
