"""Stores and sniffing with the limits a default configuration has."""

from __future__ import annotations

import tempfile
from pathlib import Path

from parley.config import Settings
from parley.files.images import Thumbnailer
from parley.files.local import LocalFileStore
from parley.files.sniff import Sniffed, sniff_file

DECODE_BYTES: int = Settings.model_fields["image_decode_max_bytes"].default
DECODE_CONCURRENCY: int = Settings.model_fields["image_decode_concurrency"].default


def local_store(root: Path) -> LocalFileStore:
    return LocalFileStore(root, Thumbnailer(DECODE_BYTES, DECODE_CONCURRENCY))


def sniff(content: bytes, max_decode_bytes: int, sent_ext: str = "") -> Sniffed:
    """What the server concludes about an upload of ``content``: it sniffs the spooled file."""
    with tempfile.NamedTemporaryFile() as file:
        file.write(content)
        file.flush()
        return sniff_file(Path(file.name), max_decode_bytes, sent_ext)
