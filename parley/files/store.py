"""Content-addressed storage of files and their thumbnails: identical bytes are kept once, under their SHA-256.

A stored file's ``path`` is ``/xx/yy/zz/<sha256>.<ext>``. Every backend lays its objects out exactly as the public
URLs are (``<path>`` and ``<box>/<path>``), so a CDN or web server may serve a bucket or the local directory
directly when ``PARLEY_STATIC_URL`` points at it. An image's thumbnails are made when it is stored, before the
original is put in place: once an original exists, its thumbnails were made, or could not be. A thumbnail that is
missing anyway (stored before thumbnails existed, or lost) is made on first request, once per process however many
ask at the same time.

An image that cannot be rendered (broken, or over the decode limits) is remembered durably, so that no request, no
restart and no other worker decodes it again: the local store writes an empty marker at ``unrenderable/<path>``,
the S3 store marks the original object itself ``Content-Disposition: attachment``. From then on the original is
served as a plain file (a download), its thumbnails are not found, and the same bytes stored again are a plain file.

Here: what a store must do (``FileStore``) and which one an install uses. The local-disk store is in ``local.py``,
the S3 one in ``s3.py``, and what both share (the layout, what they return, their helpers) in ``blobs.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from parley.config import Settings
from parley.files.blobs import Blob, StoredBlob
from parley.files.images import Box, Thumbnailer
from parley.files.local import LocalFileStore
from parley.files.spool import SpooledFile


class FileStore(Protocol):
    """What the services and the static routes need of a storage backend."""

    @property
    def staging_dir(self) -> Path:
        """Where incoming bytes are spooled before ``put_file`` takes them (on the same disk as a local store)."""
        ...

    async def put(self, content: bytes, ext: str) -> StoredBlob:
        """Store ``content`` (and an image's thumbnails) unless the same bytes are already stored."""
        ...

    async def put_file(self, spooled: SpooledFile, ext: str) -> StoredBlob:
        """Like ``put``, taking over a finished spool file (moved or uploaded, then gone from the staging dir)."""
        ...

    async def exists(self, path: str) -> bool:
        """Whether an original is stored at ``path``."""
        ...

    async def open(self, path: str, box: Box | None = None) -> Blob | None:
        """The original, or its thumbnail for ``box`` (made now if missing); None when there is none.

        A path not shaped like a stored path raises the 404 ``ParleyError``.
        """
        ...

    def read(self, blob: Blob, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``[start, end)`` of an opened blob, in chunks."""
        ...


def build_file_store(settings: Settings) -> FileStore:
    """The backend ``PARLEY_FILE_STORE`` names: the local directory (default) or an S3-compatible bucket."""
    thumbnailer = Thumbnailer(settings.image_decode_max_bytes, settings.image_decode_concurrency)
    if settings.file_store == "s3":
        from parley.files.s3 import S3FileStore  # boto3 is imported only when it is used

        return S3FileStore.from_settings(settings, thumbnailer)
    return LocalFileStore(settings.data_dir / "files", thumbnailer)
