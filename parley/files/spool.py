"""Incoming bytes go to a temporary file beside the store, hashed and counted as they arrive, never all in memory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from parley.errors import ParleyError

# Chunks are gathered up to this size and then written (and hashed) in one worker-thread hop.
FLUSH_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SpooledFile:
    """A complete temporary file, its SHA-256 and size; a store's ``put_file`` takes it over."""

    path: Path
    sha256: str
    size: int


def file_too_large(limit: int) -> ParleyError:
    return ParleyError(413, "file_too_large", f"The file is larger than the {limit} byte limit.")


class Spool:
    """``async with Spool(directory, limit) as spool``: ``write`` chunks, then ``finish``; the file is removed on exit
    unless a store has taken it (moved or uploaded it) by then.

    ``write`` refuses the chunk that takes the total past ``limit`` (413 ``file_too_large``), so an endless body
    costs at most ``limit`` bytes of disk.
    """

    def __init__(self, directory: Path, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self._hash = hashlib.sha256()
        self._size = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._finished: SpooledFile | None = None

    @property
    def size(self) -> int:
        """Bytes accepted so far."""
        return self._size

    async def __aenter__(self) -> Spool:
        self._file, self._path = await asyncio.to_thread(self._open)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self._discard)

    async def write(self, chunk: bytes) -> None:
        if self._finished is not None:
            raise RuntimeError("The spool is finished.")
        self._size += len(chunk)
        if self._size > self.limit:
            raise file_too_large(self.limit)
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        if self._pending_size >= FLUSH_BYTES:
            await self._flush(sync=False)

    async def finish(self) -> SpooledFile:
        """Flush and fsync what was written; the file is then complete and named by its digest and size."""
        if self._finished is None:
            await self._flush(sync=True)
            assert self._path is not None
            self._finished = SpooledFile(path=self._path, sha256=self._hash.hexdigest(), size=self._size)
        return self._finished

    async def _flush(self, sync: bool) -> None:
        data = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        await asyncio.to_thread(self._write, data, sync)

    def _open(self) -> tuple[IO[bytes], Path]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        return os.fdopen(fd, "wb"), Path(name)

    def _write(self, data: bytes, sync: bool) -> None:
        assert self._file is not None
        self._hash.update(data)  # hashlib releases the GIL for large buffers: this thread hashes in parallel
        self._file.write(data)
        if sync:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
