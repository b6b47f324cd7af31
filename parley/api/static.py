"""Serves stored files and their thumbnails; anything that could run script in the browser is only ever downloaded.

Paths are content-addressed, so every answer may be cached forever. Every answer, errors and partial ones included,
carries ``nosniff`` and the sandbox CSP. ``HEAD`` answers as ``GET`` does, without the body. One byte range is
served (206); a malformed ``Range``, several ranges, or a stale ``If-Range`` get the whole file (200, as RFC 9110
allows), and a range past the end is 416. A local file sent whole goes out as a file (sendfile where the server has
it); ranges and a bucket's objects are streamed from the store.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from parley.api.deps import get_services
from parley.errors import ParleyError
from parley.files.blobs import CACHE_CONTROL, Blob
from parley.files.images import BOXES, Box
from parley.files.store import FileStore
from parley.schemas import ErrorEnvelope

router = APIRouter()

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No file is stored at that path."},
    422: {"model": ErrorEnvelope, "description": "Validation Error"},
}


class _Unsatisfiable:
    """A range that starts past the end of the file."""


_UNSATISFIABLE = _Unsatisfiable()


async def _serve(request: Request, path: str, box: Box | None) -> Response:
    store = (await get_services(request)).files
    blob = await store.open(path, box)
    if blob is None:
        raise ParleyError(404, "not_found", "File not found.")
    headers = {"ETag": blob.etag, "Cache-Control": CACHE_CONTROL, **SECURITY_HEADERS}
    if not blob.inline:
        headers["Content-Disposition"] = "attachment"
    if _etags(request.headers.get("if-none-match", "")) & {blob.etag, "*"}:
        return Response(status_code=304, headers=headers)
    headers["Accept-Ranges"] = "bytes"
    wanted = _requested_range(request, blob)
    if wanted is _UNSATISFIABLE:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{blob.size}"})
    head_only = request.method == "HEAD"
    if isinstance(wanted, tuple):
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
        return _body(store, blob, headers, 206, start, end, head_only)
    if blob.local_path is not None:
        return _WholeFile(blob.local_path, media_type=blob.media_type, headers=headers)
    return _body(store, blob, headers, 200, 0, blob.size, head_only)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")} if header else set()


def _requested_range(request: Request, blob: Blob) -> tuple[int, int] | _Unsatisfiable | None:
    """The one byte range ``[start, end)`` asked for, ``_UNSATISFIABLE``, or None for the whole file."""
    wanted = request.headers.get("range")
    match = _SINGLE_RANGE.fullmatch(wanted.replace(" ", "")) if wanted else None
    if match is None or request.headers.get("if-range", blob.etag) != blob.etag:
        return None
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) + 1, blob.size) if last else blob.size
        if last and int(last) < start:
            return None  # not a valid range at all: ignored
    elif last:  # a suffix: the last N bytes
        start, end = max(blob.size - int(last), 0), blob.size
    else:
        return None
    if start >= blob.size or start >= end:
        return _UNSATISFIABLE
    return start, end


def _body(
    store: FileStore, blob: Blob, headers: dict[str, str], status: int, start: int, end: int, head_only: bool
) -> Response:
    headers = {**headers, "Content-Length": str(end - start)}
    if head_only:
        return Response(status_code=status, media_type=blob.media_type, headers=headers)
    return StreamingResponse(
        store.read(blob, start, end), status_code=status, media_type=blob.media_type, headers=headers
    )


class _WholeFile(FileResponse):
    """A local file sent whole: the range decision is ``_serve``'s, so the request's ``Range`` is not looked at."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"range"]
        await super().__call__({**scope, "headers": headers}, receive, send)


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
    router.add_api_route(
        f"/static/{_box}/{{path:path}}", _thumbnail_route(_box), methods=["HEAD"], include_in_schema=False
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


router.add_api_route("/static/{path:path}", serve_static, methods=["HEAD"], include_in_schema=False)
