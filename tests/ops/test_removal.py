"""Deleting stored bytes (erasure and purge use it): the original and its thumbnails, on either backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from parley.files.removal import delete_stored
from parley.files.s3 import S3FileStore
from tests.files import test_s3 as s3_support
from tests.support.files import local_store
from tests.support.upstream import image_bytes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# moto's S3 server and a fresh bucket, as the S3 backend's own tests have them
s3_endpoint = s3_support.s3_endpoint
bucket = s3_support.bucket
s3 = s3_support.s3
store = s3_support.store


async def test_a_local_deletion_takes_the_thumbnails_and_the_emptied_folders(tmp_path: Path) -> None:
    local = local_store(tmp_path / "files")
    kept = await local.put(image_bytes("PNG", (300, 200), (1, 2, 3)), "png")
    gone = await local.put(image_bytes("PNG", (300, 200), (3, 2, 1)), "png")
    assert len([p for p in local.root.rglob("*") if p.is_file()]) == 6

    assert await delete_stored(local, [gone.path]) == 1

    left = sorted(str(p.relative_to(local.root)) for p in local.root.rglob("*") if p.is_file())
    assert left == sorted(key for key in (kept.path[1:], f"120x120{kept.path}", f"520x400{kept.path}"))
    folders = [p for p in local.root.rglob("*") if p.is_dir() and p.name != ".incoming"]
    assert all(any(p.iterdir()) for p in folders), "no empty folder left behind"
    assert await delete_stored(local, [gone.path]) == 0, "already gone is not an error"


async def test_an_s3_deletion_takes_the_original_and_the_thumbnails(
    store: S3FileStore, s3: S3Client, bucket: str
) -> None:
    kept = await store.put(image_bytes("PNG", (300, 200), (1, 2, 3)), "png")
    gone = await store.put(image_bytes("PNG", (300, 200), (3, 2, 1)), "png")

    assert await delete_stored(store, [gone.path]) == 1

    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert keys == sorted([kept.path[1:], f"120x120{kept.path}", f"520x400{kept.path}"])
    assert await delete_stored(store, [gone.path]) == 0
