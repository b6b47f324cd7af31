"""Stores and sniffing with the limits a default configuration has."""

from __future__ import annotations

from pathlib import Path

from parley.config import Settings
from parley.files.images import Thumbnailer
from parley.files.store import LocalFileStore

DECODE_BYTES: int = Settings.model_fields["image_decode_max_bytes"].default
DECODE_CONCURRENCY: int = Settings.model_fields["image_decode_concurrency"].default


def local_store(root: Path) -> LocalFileStore:
    return LocalFileStore(root, Thumbnailer(DECODE_BYTES, DECODE_CONCURRENCY))
