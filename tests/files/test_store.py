"""The content-addressed store: same bytes stored once, at a path derived from their hash."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from parley.errors import ParleyError
from parley.files.blobs import StoredBlob
from parley.files.spool import Spool
from tests.support.files import local_store


async def test_the_same_bytes_are_written_once_at_their_hash_path(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    content = b"the same attachment, uploaded twice"
    digest = hashlib.sha256(content).hexdigest()

    first = await store.put(content, "png")
    on_disk = store.local_path(first.path)
    written_at = on_disk.stat().st_mtime_ns
    second = await store.put(content, "png")

    assert first == second
    assert first.path == f"/{digest[:2]}/{digest[2:4]}/{digest[4:6]}/{digest}.png"
    assert (first.sha256, first.size) == (digest, len(content))
    assert on_disk.read_bytes() == content
    assert on_disk.stat().st_mtime_ns == written_at
    assert [p.name for p in on_disk.parent.iterdir()] == [on_disk.name]


async def test_different_bytes_get_different_paths(tmp_path: Path) -> None:
    store = local_store(tmp_path)

    one, other = await store.put(b"one", "bin"), await store.put(b"other", "bin")

    assert one.path != other.path
    assert store.local_path(other.path).read_bytes() == b"other"


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "../../etc/passwd",
        "/etc/passwd",
        "//etc/passwd",
        "/ab/cd/ef/../../../../etc/passwd",
        "/00/00/00/" + "f" * 64 + ".png",  # well-formed, but not where that hash lives
        "/ff/ff/ff/" + "f" * 64 + ".png/../../x",
    ],
)
def test_paths_outside_the_store_are_not_found(tmp_path: Path, path: str) -> None:
    with pytest.raises(ParleyError) as caught:
        local_store(tmp_path).local_path(path)

    assert (caught.value.status, caught.value.code) == (404, "not_found")


async def test_an_unsafe_extension_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="extension"):
        await local_store(tmp_path).put(b"x", "../png")


def _jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


async def test_a_finished_spool_is_moved_into_place_and_the_same_bytes_again_are_dropped(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    content = b"%PDF-1.7 " + bytes(range(256)) * 5000  # over a megabyte: written in several flushes

    async def spool_and_put() -> tuple[StoredBlob, Path]:
        async with Spool(store.staging_dir, 10 * 1024 * 1024) as spool:
            for start in range(0, len(content), 65_536):
                await spool.write(content[start : start + 65_536])
            spooled = await spool.finish()
            assert spooled.path.parent == store.staging_dir  # same disk as the store: storing is a rename
            return await store.put_file(spooled, "pdf"), spooled.path

    first, first_temp = await spool_and_put()
    on_disk = store.local_path(first.path)
    inode = on_disk.stat().st_ino
    second, second_temp = await spool_and_put()

    assert first == second
    assert (first.sha256, first.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert on_disk.read_bytes() == content
    assert on_disk.stat().st_ino == inode  # not written again
    assert not first_temp.exists() and not second_temp.exists()
    assert _files_under(tmp_path) == [on_disk]


async def test_the_spool_refuses_the_chunk_past_the_cap_and_leaves_nothing(tmp_path: Path) -> None:
    staging = tmp_path / "incoming"

    with pytest.raises(ParleyError) as caught:
        async with Spool(staging, 100_000) as spool:
            for _ in range(10):
                await spool.write(b"\0" * 30_000)

    assert (caught.value.status, caught.value.code) == (413, "file_too_large")
    assert spool.size == 120_000  # the fourth chunk was refused, never written
    assert list(staging.iterdir()) == []


async def test_an_image_gets_its_thumbnails_when_it_is_stored(tmp_path: Path) -> None:
    store = local_store(tmp_path)

    blob = await store.put(_jpeg(), "jpeg")

    assert store.local_path(blob.path).is_file()
    for box, size in (("120x120", (120, 90)), ("520x400", (520, 390))):
        thumbnail = store.local_path(blob.path, box)  # type: ignore[arg-type]
        assert thumbnail == tmp_path / box / blob.path.removeprefix("/")  # laid out like the public URL
        assert Image.open(thumbnail).size == size
    opened = await store.open(blob.path, "120x120")
    assert opened is not None and opened.media_type == "image/jpeg"
    assert opened.local_path == store.local_path(blob.path, "120x120")


async def test_other_files_get_no_thumbnails(tmp_path: Path) -> None:
    store = local_store(tmp_path)

    blob = await store.put(b"%PDF-1.7 not an image", "pdf")

    assert await store.open(blob.path, "120x120") is None
    assert _files_under(tmp_path) == [store.local_path(blob.path)]


async def test_a_missing_thumbnail_is_made_once_however_many_ask_at_once(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    blob = await store.put(_jpeg((1000, 500)), "jpeg")
    thumbnail = store.local_path(blob.path, "520x400")
    made_eagerly = thumbnail.read_bytes()
    thumbnail.unlink()

    opened = await asyncio.gather(*(store.open(blob.path, "520x400") for _ in range(8)))

    assert {(b.size, b.etag, b.local_path) for b in opened if b is not None} == {
        (len(made_eagerly), f'"{blob.sha256}-520x400-{len(made_eagerly)}"', thumbnail)
    }
    assert thumbnail.read_bytes() == made_eagerly  # rendering is deterministic: the same bytes every time
    assert Image.open(thumbnail).size == (520, 260)
    assert [p.name for p in thumbnail.parent.iterdir()] == [thumbnail.name]  # no temporary file left behind


async def test_an_undecodable_image_is_stored_without_thumbnails_and_marked_so(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    truncated = _jpeg()[:300]

    blob = await store.put(truncated, "jpeg")

    assert store.local_path(blob.path).read_bytes() == truncated
    assert not blob.shown_as_image and not (await store.put(truncated, "jpeg")).shown_as_image
    assert await store.open(blob.path, "120x120") is None
    marker = tmp_path / "unrenderable" / blob.path.removeprefix("/")
    assert _files_under(tmp_path) == sorted([store.local_path(blob.path), marker])
    original = await store.open(blob.path)
    assert original is not None and not original.inline
