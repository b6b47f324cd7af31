"""What every file store shares: the content-addressed layout of its objects, what storing and opening return, and
the helpers both backends use (a single way in through a spool, atomic writes, rendering thumbnails, one render per
image at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parley.errors import ParleyError
from parley.files.images import Box, Thumbnailer, thumbnail_mime_type
from parley.files.sniff import mime_type_for_ext
from parley.files.spool import Spool

if TYPE_CHECKING:
    from parley.files.store import FileStore

# Named for the module these lines came from before the stores were split, so that log filters keep matching.
log = logging.getLogger("parley.files.store")

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
