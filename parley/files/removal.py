"""Deleting stored bytes: an original and its thumbnails (or failed-render marker), from whichever backend keeps them.

Only erasure and purge delete, and only paths no File row names any more (they check that in their transaction).
The backends themselves have no delete on purpose: nothing on the request path ever removes bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from parley.files.blobs import StoredPath
from parley.files.images import BOXES, Box
from parley.files.local import LocalFileStore
from parley.files.store import FileStore

log = logging.getLogger(__name__)


def _keys(path: str) -> list[str]:
    """The original first, then its thumbnails and the local store's marker of a failed render (if any)."""
    stored = StoredPath.parse(path)
    boxes: list[Box | None] = [None, *BOXES]
    return [*(stored.key(box) for box in boxes), stored.marker_key()]


async def delete_stored(store: FileStore, paths: Iterable[str]) -> int:
    """Delete each path's original and thumbnails; returns how many originals were there. Never raises for a
    path already gone; a backend error is logged and the rest carry on (the rows are gone either way)."""
    removed = 0
    for path in sorted(set(paths)):
        try:
            if isinstance(store, LocalFileStore):
                removed += await asyncio.to_thread(_delete_local, store.root, _keys(path))
            else:
                removed += await _delete_s3(store, _keys(path))
        except Exception:
            log.warning("could not delete the stored file %s", path, exc_info=True)
    return removed


def _delete_local(root: Path, keys: list[str]) -> int:
    original = 0
    for n, key in enumerate(keys):
        target = root / key
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        original += n == 0
        _prune_empty_parents(target.parent, root)
    return original


def _prune_empty_parents(directory: Path, root: Path) -> None:
    """Remove the xx/yy/zz folders a deletion left empty (a concurrent store simply recreates them)."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


async def _delete_s3(store: FileStore, keys: list[str]) -> int:
    """The S3 backend keeps its client private; deletion is the one place outside it that needs the bucket."""
    client = store._client  # type: ignore[attr-defined]
    bucket = store._bucket  # type: ignore[attr-defined]
    exists = await store.exists("/" + keys[0])
    response = await asyncio.to_thread(
        client.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )
    if response.get("Errors"):
        raise RuntimeError(f"S3 refused to delete {response['Errors']}")
    return int(exists)
