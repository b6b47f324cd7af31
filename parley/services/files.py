"""Files that arrive by URL or upload: streamed to a spool under the size cap, sniffed, stored content-addressed.

Both ways end the same: the bytes are kept once per content, an image gets its thumbnails before the call returns
(so every URL of the File answers at once), and the caller records the File in its own transaction.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import UploadFile

from parley.files.fetch import fetch_url, sanitize_name
from parley.files.sniff import sniff_file
from parley.files.spool import Spool, file_too_large
from parley.services._time import now_seconds
from parley.services.context import Services
from parley.services.ids import new_id
from parley.storage.database import Transaction
from parley.storage.records import FileRecord
from parley.storage.repositories import messages as message_repo

UPLOAD_CHUNK = 256 * 1024


async def fetch_and_store(svc: Services, workspace_id: str, url: str) -> FileRecord:
    """Download ``url`` through the outbound guard and keep the bytes (once per content)."""
    async with Spool(svc.files.staging_dir, svc.settings.max_file_bytes) as spool:
        download = await fetch_url(url, svc.settings, into=spool)
        return await _keep(svc, workspace_id, spool, download.name)


async def store_upload(svc: Services, workspace_id: str, upload: UploadFile) -> FileRecord:
    """Keep a multipart upload: copied to the spool in chunks, refused (413 ``file_too_large``) past the cap.

    The display name comes from the upload's filename, sanitised; the type, as always, from the bytes.
    """
    limit = svc.settings.max_file_bytes
    if upload.size is not None and upload.size > limit:
        raise file_too_large(limit)
    async with Spool(svc.files.staging_dir, limit) as spool:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await spool.write(chunk)
        return await _keep(svc, workspace_id, spool, sanitize_name(upload.filename or ""))


async def _keep(svc: Services, workspace_id: str, spool: Spool, name: str) -> FileRecord:
    spooled = await spool.finish()
    kind = await asyncio.to_thread(sniff_file, spooled.path)
    blob = await svc.files.put_file(spooled, kind.ext)
    now = now_seconds()
    return FileRecord(
        id=new_id(),
        workspace_id=workspace_id,
        type=kind.type,
        mime_type=kind.mime_type,
        ext=kind.ext,
        name=name,
        path=blob.path,
        size=blob.size,
        width=kind.width,
        height=kind.height,
        created_at=now,
        updated_at=now,
    )


async def record_file(tx: Transaction, record: FileRecord) -> None:
    await message_repo.add_file(tx.conn, **record.as_row())
