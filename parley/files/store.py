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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from parley.config import Settings
from parley.errors import ParleyError
from parley.files.images import BOXES, Box, Thumbnailer, has_thumbnails, thumbnail_mime_type
from parley.files.sniff import mime_type_for_ext
from parley.files.spool import Spool, SpooledFile

log = logging.getLogger(__name__)

_EXT = re.compile(r"[a-z0-9]{1,16}")
_STORED_PATH = re.compile(r"/?([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{2})/(([0-9a-f]{64})\.([a-z0-9]{1,16}))")
READ_CHUNK = 256 * 1024
UNRENDERABLE = "unrenderable"  # the local store's markers of images that could not be rendered live under here
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """Where the bytes live (``/xx/yy/zz/<sha256>.<ext>``), their digest and size, and whether they are served as an
    image (inline, with thumbnails): never for other files, nor for an image that could not be rendered."""

    path: str
    sha256: str
    size: int
    shown_as_image: bool


@dataclass(frozen=True, slots=True)
class StoredPath:
    """A well-formed stored path, split into the parts the backends need."""

    path: str
    sha256: str
    ext: str

    @classmethod
    def for_content(cls, sha256: str, ext: str) -> StoredPath:
        if not _EXT.fullmatch(ext):
            raise ValueError(f"Unsafe file extension: {ext!r}")
        return cls(f"/{sha256[0:2]}/{sha256[2:4]}/{sha256[4:6]}/{sha256}.{ext}", sha256, ext)

    @classmethod
    def parse(cls, path: str) -> StoredPath:
        """The stored path ``path`` names; anything not shaped like one (e.g. ``..``) is not found."""
        match = _STORED_PATH.fullmatch(path)
        if match is None or not match[5].startswith(match[1] + match[2] + match[3]):
            raise ParleyError(404, "not_found", "File not found.")
        return cls(f"/{match[1]}/{match[2]}/{match[3]}/{match[4]}", match[5], match[6])

    def key(self, box: Box | None = None) -> str:
        """The object's key relative to the store's root, as in the public URL: ``[<box>/]xx/yy/zz/<file>``."""
        return f"{box}{self.path}" if box else self.path.removeprefix("/")

    def marker_key(self) -> str:
        """Where the local store marks an image it could not render, relative to its root."""
        return f"{UNRENDERABLE}{self.path}"

    def media_type(self, box: Box | None = None) -> str:
        return thumbnail_mime_type(self.ext) if box else mime_type_for_ext(self.ext)

    def etag(self, box: Box | None, size: int) -> str:
        """A strong validator from the content itself, the same on every server that serves it."""
        return f'"{self.sha256}"' if box is None else f'"{self.sha256}-{box}-{size}"'


@dataclass(frozen=True, slots=True)
class Blob:
    """One stored object ready to be served: an original or a thumbnail.

    ``local_path`` is set when the bytes are a file on this machine (served as a file, with sendfile where the
    server has it); otherwise they are read with the store's ``read``. Only ``inline`` blobs (thumbnails, and images
    that rendered) are shown by browsers; the rest are served as downloads.
    """

    key: str
    size: int
    etag: str
    media_type: str
    inline: bool
    local_path: Path | None = None


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


async def put_bytes(store: FileStore, content: bytes, ext: str) -> StoredBlob:
    """``put`` for any backend: through a spool, so there is a single way in."""
    async with Spool(store.staging_dir, max(len(content), 1)) as spool:
        await spool.write(content)
        return await store.put_file(await spool.finish(), ext)


def write_atomically(target: Path, data: bytes) -> None:
    """Write beside ``target`` and rename: concurrent writers and readers never see a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


async def render_or_log(thumbnailer: Thumbnailer, source: Path, stored: StoredPath) -> dict[Box, bytes]:
    """An image's thumbnails, or none when it cannot be rendered: the original is kept and served as a plain file.

    One warning line, no traceback: the bytes are untrusted and whatever the decoder raises is expected.
    """
    try:
        return await thumbnailer.render(source, stored.ext)
    except Exception as exc:
        log.warning("no thumbnails for %s, served as a plain file: %s: %s", stored.path, type(exc).__name__, exc)
        return {}


class OncePerKey:
    """Runs one call per key at a time in this process: whoever asks while it runs waits for that same call."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[None]] = {}

    async def run(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(work())
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        await asyncio.shield(running)  # a cancelled waiter leaves the call running for the others


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


def build_file_store(settings: Settings) -> FileStore:
    """The backend ``PARLEY_FILE_STORE`` names: the local directory (default) or an S3-compatible bucket."""
    thumbnailer = Thumbnailer(settings.image_decode_max_bytes, settings.image_decode_concurrency)
    if settings.file_store == "s3":
        from parley.files.s3 import S3FileStore  # boto3 is imported only when it is used

        return S3FileStore.from_settings(settings, thumbnailer)
    return LocalFileStore(settings.data_dir / "files", thumbnailer)
