"""The default file store: a directory on this machine's disk, laid out as the public URLs are."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

from parley.files.blobs import (
    READ_CHUNK,
    Blob,
    OncePerKey,
    StoredBlob,
    StoredPath,
    put_bytes,
    render_or_log,
    write_atomically,
)
from parley.files.images import BOXES, Box, Thumbnailer, has_thumbnails
from parley.files.spool import SpooledFile


class LocalFileStore:
    """Keeps blobs under ``root``: originals at ``root/xx/yy/zz/<file>``, thumbnails at ``root/<box>/xx/yy/zz/<file>``,
    and the marker of an image that could not be rendered at ``root/unrenderable/xx/yy/zz/<file>``.

    Incoming files are spooled in ``root/.incoming`` (the same disk), so storing one is a rename.
    """

    def __init__(self, root: Path, thumbnailer: Thumbnailer) -> None:
        self._root = root.resolve()
        self._thumbnailer = thumbnailer
        self._rendering = OncePerKey()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def staging_dir(self) -> Path:
        return self._root / ".incoming"

    async def put(self, content: bytes, ext: str) -> StoredBlob:
        return await put_bytes(self, content, ext)

    async def put_file(self, spooled: SpooledFile, ext: str) -> StoredBlob:
        stored = StoredPath.for_content(spooled.sha256, ext)
        target = self._root / stored.key()
        if await asyncio.to_thread(target.exists):
            await asyncio.to_thread(spooled.path.unlink, missing_ok=True)  # stored already, thumbnails included
        else:
            if has_thumbnails(ext):
                await self._write_thumbnails(spooled.path, stored)
            await asyncio.to_thread(_move_into_place, spooled.path, target)
        shown = has_thumbnails(ext) and not await asyncio.to_thread(self._unrenderable, stored)
        return StoredBlob(path=stored.path, sha256=stored.sha256, size=spooled.size, shown_as_image=shown)

    async def exists(self, path: str) -> bool:
        return await asyncio.to_thread(self.local_path(path).is_file)

    def local_path(self, path: str, box: Box | None = None) -> Path:
        """The file on disk for a stored path (or its thumbnail); a malformed path raises the 404 ``ParleyError``."""
        return self._root / StoredPath.parse(path).key(box)

    async def open(self, path: str, box: Box | None = None) -> Blob | None:
        stored = StoredPath.parse(path)
        if box is not None and not has_thumbnails(stored.ext):
            return None
        blob = await asyncio.to_thread(self._open, stored, box)
        if blob is None and box is not None:
            await self._rendering.run(stored.path, lambda: self._make_missing_thumbnails(stored))
            blob = await asyncio.to_thread(self._open, stored, box)
        return blob

    async def read(self, blob: Blob, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        file = await asyncio.to_thread((self._root / blob.key).open, "rb")
        try:
            await asyncio.to_thread(file.seek, start)
            remaining = (blob.size if end is None else end) - start
            while remaining > 0 and (chunk := await asyncio.to_thread(file.read, min(READ_CHUNK, remaining))):
                remaining -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    async def _write_thumbnails(self, source: Path, stored: StoredPath) -> None:
        thumbnails = await render_or_log(self._thumbnailer, source, stored)
        await asyncio.to_thread(self._keep_thumbnails, stored, thumbnails)

    def _keep_thumbnails(self, stored: StoredPath, thumbnails: dict[Box, bytes]) -> None:
        """Write the thumbnails, or the marker when there are none: either way the image is never decoded again."""
        if not thumbnails:
            write_atomically(self._root / stored.marker_key(), b"")
        for box, data in thumbnails.items():
            write_atomically(self._root / stored.key(box), data)

    async def _make_missing_thumbnails(self, stored: StoredPath) -> None:
        original = self._root / stored.key()
        if await asyncio.to_thread(self._may_render, stored, original):
            await self._write_thumbnails(original, stored)

    def _may_render(self, stored: StoredPath, original: Path) -> bool:
        """The original is there, a thumbnail is not, and no earlier render failed."""
        return (
            original.is_file()
            and not self._unrenderable(stored)
            and not all((self._root / stored.key(box)).is_file() for box in BOXES)
        )

    def _unrenderable(self, stored: StoredPath) -> bool:
        return (self._root / stored.marker_key()).exists()

    def _open(self, stored: StoredPath, box: Box | None) -> Blob | None:
        local = self._root / stored.key(box)
        try:
            status = local.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(status.st_mode):
            return None
        size = status.st_size
        return Blob(
            key=stored.key(box),
            size=size,
            etag=stored.etag(box, size),
            media_type=stored.media_type(box),
            inline=box is not None or (has_thumbnails(stored.ext) and not self._unrenderable(stored)),
            local_path=local,
        )


def _move_into_place(spooled: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(spooled, 0o644)
    os.replace(spooled, target)  # the spool is on the same disk: a rename, and readers see all or nothing
