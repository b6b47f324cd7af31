"""Serves stored files and their thumbnails; anything that could run script in the browser is only ever downloaded.

Paths are content-addressed, so every answer may be cached forever. The local store's files are sent as files
(Range, sendfile); a bucket's objects are streamed from it, with a single byte range passed through.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response, StreamingResponse

from parley.api.deps import get_services
from parley.errors import ParleyError
from parley.files.images import BOXES, IMAGE_EXTENSIONS, Box
from parley.files.store import CACHE_CONTROL, Blob, FileStore, StoredPath
from parley.schemas import ErrorEnvelope

router = APIRouter()

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No file is stored at that path."},
    422: {"model": ErrorEnvelope, "description": "Validation Error"},
}


async def _serve(request: Request, path: str, box: Box | None) -> Response:
    store = (await get_services(request)).files
    blob = await store.open(path, box)
    if blob is None:
        raise ParleyError(404, "not_found", "File not found.")
    headers = {
        "ETag": blob.etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if box is None and StoredPath.parse(path).ext not in IMAGE_EXTENSIONS:
        headers["Content-Disposition"] = "attachment"
    if _etags(request.headers.get("if-none-match", "")) & {blob.etag, "*"}:
        return Response(status_code=304, headers=headers)
    if blob.local_path is not None:
        return FileResponse(blob.local_path, media_type=blob.media_type, headers=headers)
    return _stream(store, blob, headers, request)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")} if header else set()


def _stream(store: FileStore, blob: Blob, headers: dict[str, str], request: Request) -> Response:
    """A remote blob, whole or one byte range of it (a multi-range request is answered whole, as RFC 9110 allows)."""
    headers = {**headers, "Accept-Ranges": "bytes"}
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    match = _SINGLE_RANGE.fullmatch(wanted.replace(" ", "")) if wanted else None
    if match is None or (if_range is not None and if_range != blob.etag) or match.group(0) == "bytes=-":
        headers["Content-Length"] = str(blob.size)
        return StreamingResponse(store.read(blob), media_type=blob.media_type, headers=headers)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) + 1, blob.size) if last else blob.size
    else:  # a suffix: the last N bytes
        start, end = max(blob.size - int(last), 0), blob.size
    if start >= blob.size or start >= end:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{blob.size}"})
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(store.read(blob, start, end), status_code=206, media_type=blob.media_type, headers=headers)


def _thumbnail_route(box: Box) -> Callable[[str, Request], Awaitable[Response]]:
    async def serve_thumbnail(path: str, request: Request) -> Response:
        return await _serve(request, path, box)

    serve_thumbnail.__doc__ = (
        f"The {box} thumbnail of a stored image: it fits inside {box.replace('x', ' x ')} pixels, aspect kept, never "
        "enlarged, EXIF orientation applied and metadata removed. JPEG, PNG and WebP images keep their format; a "
        "GIF's thumbnail is a PNG still of its first frame. A file that is not an image has none (404)."
    )
    return serve_thumbnail


# The thumbnail routes come first: the original's `{path:path}` would match them too.
for _box in BOXES:
    router.add_api_route(
        f"/static/{_box}/{{path:path}}",
        _thumbnail_route(_box),
        methods=["GET"],
        response_class=FileResponse,
        tags=["static"],
        summary=f"The {_box} thumbnail of a stored image",
        operation_id=f"serve_thumbnail_{_box}",
        responses={
            200: {
                "description": "The thumbnail.",
                "content": {
                    mime: {"schema": {"type": "string", "format": "binary"}}
                    for mime in ("image/jpeg", "image/png", "image/webp")
                },
            },
            **_NOT_FOUND,
        },
    )


@router.get(
    "/static/{path:path}",
    response_class=FileResponse,
    tags=["static"],
    summary="A stored file",
    responses={
        200: {
            "description": "The stored bytes, with the content type of their extension.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_NOT_FOUND,
    },
)
async def serve_static(path: str, request: Request) -> Response:
    """One stored original; its path is content-addressed, so it may be cached forever."""
    return await _serve(request, path, None)
