"""Incoming bytes go to a temporary file beside the store, hashed and counted as they arrive, never all in memory.

A spool is removed when its request ends, stored or not; only a process killed meanwhile leaves one behind. The
sweeper removes those: spools untouched for `ABANDONED_SECONDS`, far longer than any fetch or upload writes to one
(each flush touches it), so a sweep never takes a file that another worker, on a shared data directory, is filling.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO

from parley.background import Periodic
from parley.clock import now
from parley.errors import ParleyError

log = logging.getLogger(__name__)

# Chunks are gathered up to this size and then written (and hashed) in one worker-thread hop.
FLUSH_BYTES = 1024 * 1024
PREFIX, SUFFIX = ".incoming-", ".tmp"
ABANDONED_SECONDS = 3600.0
SWEEP_SECONDS = 600.0


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
        fd, name = tempfile.mkstemp(dir=self.directory, prefix=PREFIX, suffix=SUFFIX)
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


def sweep_abandoned(directory: Path, now: float) -> int:
    """Remove the spools in `directory` last written before `now - ABANDONED_SECONDS`; returns how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError):  # nothing was ever spooled
        for path in directory.glob(f"{PREFIX}*{SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):  # its request, or another sweeper, removed it first
                if path.stat().st_mtime < now - ABANDONED_SECONDS:
                    path.unlink()
                    removed += 1
    return removed


def spool_sweeper(directory: Path) -> Periodic:
    return Periodic("parley-spool-sweeper", SWEEP_SECONDS, partial(_sweep_and_report, directory))


async def _sweep_and_report(directory: Path) -> None:
    removed = await asyncio.to_thread(sweep_abandoned, directory, now())
    if removed:
        log.info("removed %d abandoned spool files from %s", removed, directory)
