"""The S3-compatible backend (AWS S3, MinIO, Ceph, R2, ...): the same layout and rules as the local store.

boto3 is synchronous: every call runs in a worker thread. Objects carry the headers a bucket or CDN needs to serve
them safely on its own (Content-Type, a year's immutable Cache-Control, and ``attachment`` for anything that is not
an image, or an image that could not be rendered), so ``PARLEY_STATIC_URL`` may point straight at the bucket;
otherwise ``/static/`` streams from it. That ``attachment`` is also how the bucket remembers a failed render.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from parley.config import Settings
from parley.files.blobs import (
    CACHE_CONTROL,
    READ_CHUNK,
    Blob,
    OncePerKey,
    StoredBlob,
    StoredPath,
    put_bytes,
    render_or_log,
)
from parley.files.images import Box, Thumbnailer, has_thumbnails
from parley.files.spool import SpooledFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3FileStore:
    def __init__(self, client: S3Client, bucket: str, staging_dir: Path, thumbnailer: Thumbnailer) -> None:
        self._client = client
        self._bucket = bucket
        self._staging_dir = staging_dir
        self._thumbnailer = thumbnailer
        self._rendering = OncePerKey()

    @classmethod
    def from_settings(cls, settings: Settings, thumbnailer: Thumbnailer) -> S3FileStore:
        secret = settings.s3_secret_access_key
        endpoint = settings.s3_endpoint_url or None
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                # Self-hosted S3-compatible servers are reached by path; AWS itself by virtual host.
                s3={"addressing_style": "path" if endpoint else "auto"},
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=settings.fetch_connect_timeout,
                read_timeout=settings.fetch_read_timeout,
                max_pool_connections=32,
            ),
        )
        return cls(client, settings.s3_bucket, settings.data_dir / "incoming", thumbnailer)

    @property
    def staging_dir(self) -> Path:
        return self._staging_dir

    async def put(self, content: bytes, ext: str) -> StoredBlob:
        return await put_bytes(self, content, ext)

    async def put_file(self, spooled: SpooledFile, ext: str) -> StoredBlob:
        stored = StoredPath.for_content(spooled.sha256, ext)
        try:
            head = await self._head(stored.key())
            if head is None:
                rendered = has_thumbnails(ext) and await self._put_thumbnails(spooled.path, stored)
                # The original last: once it exists, so do its thumbnails (the dedup check relies on it).
                await asyncio.to_thread(
                    self._client.upload_file,
                    str(spooled.path),
                    self._bucket,
                    stored.key(),
                    ExtraArgs=_object_headers(stored, None, inline=rendered),
                )
                shown = rendered
            else:
                shown = _inline(head)
        finally:
            await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        return StoredBlob(path=stored.path, sha256=stored.sha256, size=spooled.size, shown_as_image=shown)

    async def exists(self, path: str) -> bool:
        return await self._head(StoredPath.parse(path).key()) is not None

    async def open(self, path: str, box: Box | None = None) -> Blob | None:
        stored = StoredPath.parse(path)
        if box is not None and not has_thumbnails(stored.ext):
            return None
        head = await self._head(stored.key(box))
        if head is None and box is not None:
            await self._rendering.run(stored.path, lambda: self._make_missing_thumbnails(stored))
            head = await self._head(stored.key(box))
        if head is None:
            return None
        size = int(head["ContentLength"])
        return Blob(
            key=stored.key(box),
            size=size,
            etag=stored.etag(box, size),
            media_type=stored.media_type(box),
            inline=box is not None or _inline(head),
        )

    async def read(self, blob: Blob, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        last = (blob.size if end is None else end) - 1
        if last < start:
            return
        response = await asyncio.to_thread(
            self._client.get_object, Bucket=self._bucket, Key=blob.key, Range=f"bytes={start}-{last}"
        )
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head = await asyncio.to_thread(self._client.head_object, Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return dict(head)

    async def _put_thumbnails(self, source: Path, stored: StoredPath) -> bool:
        """Render and upload the thumbnails; False when the image could not be rendered."""
        thumbnails = await render_or_log(self._thumbnailer, source, stored)
        for box, data in thumbnails.items():
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self._bucket,
                Key=stored.key(box),
                Body=data,
                **_object_headers(stored, box, inline=True),
            )
        return bool(thumbnails)

    async def _make_missing_thumbnails(self, stored: StoredPath) -> None:
        """Fetch the original to the staging dir and make its thumbnails, unless there is no original or an earlier
        render failed (the original is then an attachment); a failure now marks the original so."""
        original_head = await self._head(stored.key())
        if original_head is None or not _inline(original_head):
            return
        await asyncio.to_thread(self._staging_dir.mkdir, parents=True, exist_ok=True)
        temp_dir = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=self._staging_dir, prefix=".thumbnail-"))
        try:
            original = temp_dir / f"original.{stored.ext}"
            try:
                await asyncio.to_thread(self._client.download_file, self._bucket, stored.key(), str(original))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _MISSING:
                    return
                raise
            if not await self._put_thumbnails(original, stored):
                await asyncio.to_thread(
                    self._client.copy_object,
                    Bucket=self._bucket,
                    Key=stored.key(),
                    CopySource={"Bucket": self._bucket, "Key": stored.key()},
                    MetadataDirective="REPLACE",
                    **_object_headers(stored, None, inline=False),
                )
        finally:
            await asyncio.to_thread(shutil.rmtree, temp_dir, ignore_errors=True)


def _inline(head: dict[str, Any]) -> bool:
    return head.get("ContentDisposition") != "attachment"


def _object_headers(stored: StoredPath, box: Box | None, inline: bool) -> dict[str, Any]:
    """What a bucket or CDN answers with when it serves the object itself: only ``inline`` ones are shown."""
    headers: dict[str, Any] = {
        "ContentType": stored.media_type(box),
        "CacheControl": CACHE_CONTROL,
        "Metadata": {"sha256": stored.sha256},
    }
    if not inline:
        headers["ContentDisposition"] = "attachment"
    return headers
