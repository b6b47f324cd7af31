"""Files that arrive by URL or upload: streamed to a spool under the size cap, sniffed, stored content-addressed.

Both ways end the same: the bytes are kept once per content, an image gets its thumbnails before the call returns
(so every URL of the File answers at once), and the caller records the File in its own transaction.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import UploadFile

from parley.clock import now_seconds
from parley.errors import ParleyError
from parley.files.fetch import fetch_url, split_name
from parley.files.sniff import sniff_file
from parley.files.spool import Spool, file_too_large
from parley.services.context import Services
from parley.services.ids import new_id
from parley.storage.database import Transaction
from parley.storage.records import FileRecord
from parley.storage.repositories import messages as message_repo

UPLOAD_CHUNK = 256 * 1024


async def fetch_and_store(svc: Services, workspace_id: str, url: str, only_images: bool = False) -> FileRecord:
    """Download ``url`` through the outbound guard and keep the bytes (once per content).

    With ``only_images`` (avatars), anything but an image that renders is refused (415 ``unsupported_media_type``),
    most of it before it is stored.
    """
    async with Spool(svc.files.staging_dir, svc.settings.max_file_bytes) as spool:
        download = await fetch_url(url, svc.settings, into=spool)
        return await _keep(svc, workspace_id, spool, download.name, download.sent_ext, only_images)


async def store_upload(svc: Services, workspace_id: str, upload: UploadFile) -> FileRecord:
    """Keep a multipart upload: copied to the spool in chunks, refused (413 ``file_too_large``) past the cap.

    The display name comes from the upload's filename, sanitised; the type, as always, from the bytes (the name's
    extension only chooses between text formats).
    """
    limit = svc.settings.max_file_bytes
    if upload.size is not None and upload.size > limit:
        raise file_too_large(limit)
    async with Spool(svc.files.staging_dir, limit) as spool:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await spool.write(chunk)
        return await _keep(svc, workspace_id, spool, *split_name(upload.filename or ""))


async def _keep(
    svc: Services, workspace_id: str, spool: Spool, name: str, sent_ext: str, only_images: bool = False
) -> FileRecord:
    spooled = await spool.finish()
    kind = await asyncio.to_thread(sniff_file, spooled.path, svc.settings.image_decode_max_bytes, sent_ext)
    if only_images and kind.type != "image":
        raise _not_an_image()
    blob = await svc.files.put_file(spooled, kind.ext)
    unrenderable = kind.type == "image" and not blob.shown_as_image  # kept, but as the plain file it is served as
    if only_images and unrenderable:  # the bytes stay stored (content-addressed, maybe shared); no File names them
        raise _not_an_image()
    now = now_seconds()
    return FileRecord(
        id=new_id(),
        workspace_id=workspace_id,
        type="file" if unrenderable else kind.type,
        mime_type=kind.mime_type,
        ext=kind.ext,
        name=name,
        path=blob.path,
        size=blob.size,
        width=None if unrenderable else kind.width,
        height=None if unrenderable else kind.height,
        created_at=now,
        updated_at=now,
    )


def _not_an_image() -> ParleyError:
    return ParleyError(415, "unsupported_media_type", "The file is not an image that can be shown.")


def record_file(tx: Transaction, record: FileRecord) -> None:
    message_repo.add_file(tx.conn, **record.as_row())
