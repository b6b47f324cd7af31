"""Serving stored originals and thumbnails: cacheable forever, and only safe images ever shown inline."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging

import httpx
import pytest
from PIL import Image

from parley.config import Settings
from parley.files.blobs import StoredPath
from parley.files.local import LocalFileStore
from parley.files.store import build_file_store
from parley.services.context import Services

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def store(services: Services) -> LocalFileStore:
    """The running app's own store: what it serves is what the message path wrote."""
    assert isinstance(services.files, LocalFileStore)
    return services.files


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


async def test_an_image_is_served_inline_and_cached_forever(store: LocalFileStore, client: httpx.AsyncClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3)).save(buffer, format="PNG")
    blob = await store.put(buffer.getvalue(), "png")

    response = await client.get(f"/static{blob.path}")

    assert response.status_code == 200
    assert response.content == buffer.getvalue()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    ("content", "ext", "mime_type"),
    [
        (b"<svg onload=alert(1)>", "svg", "image/svg+xml"),
        (b"%PDF-1.7", "pdf", "application/pdf"),
        (b"<html><script>alert(1)</script>", "bin", "application/octet-stream"),
    ],
)
async def test_anything_else_is_a_download(
    store: LocalFileStore, client: httpx.AsyncClient, content: bytes, ext: str, mime_type: str
) -> None:
    blob = await store.put(content, ext)

    response = await client.get(f"/static{blob.path}")

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == mime_type
    assert response.headers["content-disposition"] == "attachment"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_range_request_gets_part_of_the_file(store: LocalFileStore, client: httpx.AsyncClient) -> None:
    blob = await store.put(bytes(range(256)) * 4, "mp4")

    response = await client.get(f"/static{blob.path}", headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.content == bytes(range(10, 20))
    assert response.headers["content-range"] == "bytes 10-19/1024"


@pytest.mark.parametrize(
    "path",
    ["/static/ab/cd/ef/" + "abcdef" + "0" * 58 + ".png", "/static/..%2F..%2Fetc%2Fpasswd", "/static/etc/passwd"],
)
async def test_missing_or_escaping_paths_are_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "File not found."}


@pytest.mark.parametrize(
    ("fmt", "ext", "mime_type"),
    [
        ("JPEG", "jpeg", "image/jpeg"),
        ("PNG", "png", "image/png"),
        ("WEBP", "webp", "image/webp"),
        ("GIF", "gif", "image/png"),
    ],
)
async def test_thumbnails_are_served_inline_with_the_originals_cache_headers(
    store: LocalFileStore, client: httpx.AsyncClient, fmt: str, ext: str, mime_type: str
) -> None:
    blob = await store.put(_image(fmt, (1000, 800)), ext)

    for box, size in (("120x120", (120, 96)), ("520x400", (500, 400))):
        response = await client.get(f"/static/{box}{blob.path}")

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == mime_type
        assert Image.open(io.BytesIO(response.content)).size == size
        assert response.headers["etag"] == f'"{blob.sha256}-{box}-{len(response.content)}"'
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["accept-ranges"] == "bytes"
        assert "content-disposition" not in response.headers


async def test_a_thumbnail_answers_a_range_and_a_matching_etag(
    store: LocalFileStore, client: httpx.AsyncClient
) -> None:
    blob = await store.put(_image("JPEG", (1000, 800)), "jpeg")
    url = f"/static/120x120{blob.path}"
    whole = await client.get(url)

    part = await client.get(url, headers={"Range": "bytes=10-19"})
    unchanged = await client.get(url, headers={"If-None-Match": whole.headers["etag"]})

    assert part.status_code == 206
    assert part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole.content)}"
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == whole.headers["etag"]
    assert unchanged.headers["cache-control"] == IMMUTABLE


async def test_an_original_is_tagged_with_its_content_hash(store: LocalFileStore, client: httpx.AsyncClient) -> None:
    blob = await store.put(b"%PDF-1.7 a document", "pdf")

    response = await client.get(f"/static{blob.path}")
    unchanged = await client.get(f"/static{blob.path}", headers={"If-None-Match": f'W/"x", "{blob.sha256}"'})

    assert response.headers["etag"] == f'"{blob.sha256}"'
    assert unchanged.status_code == 304
    assert unchanged.headers["content-disposition"] == "attachment"


async def test_a_thumbnail_lost_from_disk_is_made_again_on_request(
    store: LocalFileStore, client: httpx.AsyncClient
) -> None:
    blob = await store.put(_image("PNG", (640, 480)), "png")
    thumbnail = store.local_path(blob.path, "120x120")
    thumbnail.unlink()

    response = await client.get(f"/static/120x120{blob.path}")

    assert response.status_code == 200
    assert thumbnail.read_bytes() == response.content
    assert Image.open(thumbnail).size == (120, 90)


@pytest.mark.parametrize("box", ["120x120", "520x400"])
async def test_a_file_that_is_not_an_image_has_no_thumbnail(
    store: LocalFileStore, client: httpx.AsyncClient, box: str
) -> None:
    blob = await store.put(b"<svg onload=alert(1)>", "svg")

    response = await client.get(f"/static/{box}{blob.path}")

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "File not found."}


@pytest.mark.parametrize(
    "path",
    [
        "/static/120x120/ab/cd/ef/" + "abcdef" + "0" * 58 + ".png",
        "/static/520x400/..%2F..%2Fetc%2Fpasswd",
        "/static/120x120/120x120/etc/passwd",
        "/static/64x64/ab/cd/ef/" + "abcdef" + "0" * 58 + ".png",
    ],
)
async def test_missing_or_malformed_thumbnail_paths_are_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


SECURITY_HEADERS = {"x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'; sandbox"}


def _static_url(path: str, box: str | None) -> str:
    """The original's URL, or a thumbnail's when `box` names its size."""
    return f"/static/{box}{path}" if box else f"/static{path}"


def _has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


@pytest.mark.parametrize("box", [None, "120x120", "520x400"])
async def test_head_answers_like_get_without_a_body(
    store: LocalFileStore, client: httpx.AsyncClient, box: str | None
) -> None:
    blob = await store.put(_image("PNG", (900, 700)), "png")
    url = _static_url(blob.path, box)
    got = await client.get(url)

    head = await client.head(url)

    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control", *SECURITY_HEADERS):
        assert head.headers[name] == got.headers[name], name


async def test_head_of_a_missing_file_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.head("/static/ab/cd/ef/" + "abcdef" + "0" * 58 + ".png")

    assert response.status_code == 404 and response.content == b""


@pytest.mark.parametrize("box", [None, "120x120", "520x400"])
@pytest.mark.parametrize("malformed", ["bytes=abc", "pages=1-2", "bytes=9-3", "bytes=", "bytes=-"])
async def test_a_malformed_range_is_ignored_and_the_whole_file_sent(
    store: LocalFileStore, client: httpx.AsyncClient, box: str | None, malformed: str
) -> None:
    blob = await store.put(_image("JPEG", (900, 700)), "jpeg")
    url = _static_url(blob.path, box)
    whole = await client.get(url)

    response = await client.get(url, headers={"Range": malformed})

    assert response.status_code == 200
    assert response.content == whole.content
    assert _has_security_headers(response)


@pytest.mark.parametrize("box", [None, "120x120", "520x400"])
async def test_an_unsatisfiable_range_is_416_with_the_security_headers(
    store: LocalFileStore, client: httpx.AsyncClient, box: str | None
) -> None:
    blob = await store.put(_image("JPEG", (900, 700)), "jpeg")
    url = _static_url(blob.path, box)
    size = len((await client.get(url)).content)

    response = await client.get(url, headers={"Range": f"bytes={size}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert _has_security_headers(response)


async def test_a_suffix_range_and_an_open_range_are_served(store: LocalFileStore, client: httpx.AsyncClient) -> None:
    blob = await store.put(bytes(range(256)) * 4, "mp4")

    suffix = await client.get(f"/static{blob.path}", headers={"Range": "bytes=-10"})
    open_ended = await client.get(f"/static{blob.path}", headers={"Range": "bytes=1000-"})
    head = await client.head(f"/static{blob.path}", headers={"Range": "bytes=0-9"})

    assert (suffix.status_code, suffix.content) == (206, (bytes(range(256)) * 4)[-10:])
    assert (open_ended.status_code, open_ended.headers["content-range"]) == (206, "bytes 1000-1023/1024")
    assert (head.status_code, head.headers["content-length"], head.content) == (206, "10", b"")
    assert _has_security_headers(suffix) and _has_security_headers(head)


def _truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((900, 700), 60).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def _render_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "parley.files.store" and "no thumbnails" in r.getMessage()]


async def test_an_image_that_cannot_be_rendered_is_decoded_once_then_served_as_a_plain_file(
    store: LocalFileStore, client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """As an earlier Parley left it: the original stored, no thumbnails, nothing recording that they failed."""
    content = _truncated_png()
    stored = StoredPath.for_content(hashlib.sha256(content).hexdigest(), "png")
    original = store.root / stored.key()
    original.parent.mkdir(parents=True)
    original.write_bytes(content)
    caplog.set_level(logging.WARNING)

    answers = await asyncio.gather(
        *(client.get(f"/static/{box}{stored.path}") for box in ("120x120", "520x400") for _ in range(6))
    )
    again = [await client.get(f"/static/{box}{stored.path}") for box in ("120x120", "520x400")]
    restarted = await build_file_store(settings).open(stored.path, "520x400")  # a restart, or another worker
    served = await client.get(f"/static{stored.path}")

    assert {answer.status_code for answer in [*answers, *again]} == {404}
    assert restarted is None
    failures = _render_failures(caplog)
    assert len(failures) == 1 and failures[0].exc_info is None  # decoded once, one line, no traceback
    assert served.status_code == 200 and served.content == content
    assert served.headers["content-disposition"] == "attachment"
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_an_upload_that_cannot_be_rendered_is_a_plain_file_and_never_decoded_again(
    services: Services, client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from starlette.datastructures import UploadFile

    from parley.services.files import store_upload

    caplog.set_level(logging.WARNING)
    content = _truncated_png()

    record = await store_upload(services, "workspace-1", UploadFile(io.BytesIO(content), filename="photo.png"))
    thumbnails = [await client.get(f"/static/{box}{record.path}") for box in ("120x120", "520x400") * 3]
    restarted = await build_file_store(settings).open(record.path, "120x120")

    assert (record.type, record.width, record.height, record.ext) == ("file", None, None, "png")
    assert services.trusted_views.file(record).url.small.endswith(f"/static{record.path}")  # no thumbnail URL
    assert {answer.status_code for answer in thumbnails} == {404} and restarted is None
    assert len(_render_failures(caplog)) == 1
    assert (await client.get(f"/static{record.path}")).headers["content-disposition"] == "attachment"
