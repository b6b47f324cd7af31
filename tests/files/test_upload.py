"""Uploads at the service level: a real multipart body parsed by Starlette (python-multipart) into a real UploadFile
over a spooled temporary file, kept by `store_upload`, and served back by the running app."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, BinaryIO, cast

import httpx
import pytest
from PIL import Image
from starlette.datastructures import UploadFile
from starlette.requests import Request

from parley.config import Settings
from parley.errors import ParleyError
from parley.files.local import LocalFileStore
from parley.services.context import Services
from parley.services.files import store_upload

CAP = 256 * 1024
Uploader = Callable[..., Coroutine[Any, Any, UploadFile]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with a small file cap, so going over it is cheap."""
    return Settings.model_validate({**settings.model_dump(), "max_file_bytes": CAP})


@pytest.fixture
def store(services: Services) -> LocalFileStore:
    assert isinstance(services.files, LocalFileStore)
    return services.files


@pytest.fixture
async def uploaded() -> AsyncIterator[Uploader]:
    """Parse a multipart request carrying one file, as a widget or console route would receive it."""
    forms = []

    async def parse(content: bytes, filename: str, content_type: str = "application/octet-stream") -> UploadFile:
        request = httpx.Request("POST", "http://parley.test/files", files={"file": (filename, content, content_type)})
        body = request.read()
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/files",
            "query_string": b"",
            "headers": [(name.lower().encode(), value.encode()) for name, value in request.headers.items()],
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(scope, receive).form()
        forms.append(form)
        upload = form["file"]
        assert isinstance(upload, UploadFile)
        return upload

    yield parse
    for form in forms:
        await form.close()


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def _originals(store: LocalFileStore) -> list[Path]:
    return sorted(p for p in store.root.glob("[0-9a-f][0-9a-f]/*/*/*") if p.is_file())


async def test_an_uploaded_image_is_stored_by_content_with_its_size_and_thumbnails(
    services: Services, store: LocalFileStore, client: httpx.AsyncClient, uploaded: Uploader
) -> None:
    content = _png((300, 200))
    upload = await uploaded(content, "../../Holiday Photo.final.jpg", "text/plain")  # name and type both lie

    record = await store_upload(services, "workspace-1", upload)

    digest = hashlib.sha256(content).hexdigest()
    assert record.path == f"/{digest[:2]}/{digest[2:4]}/{digest[4:6]}/{digest}.png"
    assert (record.type, record.mime_type, record.ext) == ("image", "image/png", "png")
    assert (record.width, record.height, record.size) == (300, 200, len(content))
    assert record.name == "Holiday Photo.final"
    assert record.workspace_id == "workspace-1"
    assert store.local_path(record.path).read_bytes() == content
    small = await client.get(f"/static/120x120{record.path}")
    assert small.status_code == 200 and Image.open(io.BytesIO(small.content)).size == (120, 80)
    assert list(store.staging_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "filename", "mime_type"),
    [
        (b"<!doctype html><html><script>alert(document.cookie)</script></html>", "page.html", "text/plain"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "image/svg+xml"),
    ],
)
async def test_html_or_svg_is_a_plain_file_served_only_as_a_download(
    services: Services, client: httpx.AsyncClient, uploaded: Uploader, content: bytes, filename: str, mime_type: str
) -> None:
    record = await store_upload(services, "workspace-1", await uploaded(content, filename, "text/html"))

    assert (record.type, record.mime_type, record.width) == ("file", mime_type, None)
    response = await client.get(f"/static{record.path}")
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"].split(";")[0] == mime_type
    assert response.headers["content-disposition"] == "attachment"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert (await client.get(f"/static/120x120{record.path}")).status_code == 404


async def test_the_same_bytes_uploaded_twice_are_stored_once(
    services: Services, store: LocalFileStore, uploaded: Uploader
) -> None:
    content = _png((40, 40))

    first = await store_upload(services, "workspace-1", await uploaded(content, "a.png"))
    second = await store_upload(services, "workspace-2", await uploaded(content, "b.png"))

    assert first.id != second.id and (first.name, second.name) == ("a", "b")
    assert first.path == second.path
    assert _originals(store) == [store.local_path(first.path)]
    assert list(store.staging_dir.iterdir()) == []


async def test_an_upload_over_the_cap_is_refused_while_it_is_copied(services: Services, store: LocalFileStore) -> None:
    """A source whose size is not known up front (no `size`): the copy stops at the chunk that passes the cap."""
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024) as spooled:
        spooled.write(b"\0" * (CAP * 4))
        spooled.seek(0)
        upload = UploadFile(cast(BinaryIO, spooled), filename="big.bin")

        with pytest.raises(ParleyError) as caught:
            await store_upload(services, "workspace-1", upload)

        assert (caught.value.status, caught.value.code) == (413, "file_too_large")
        assert spooled.tell() <= CAP + 256 * 1024  # read a chunk past the cap at most, not the whole file
    assert _originals(store) == []
    assert list(store.staging_dir.iterdir()) == []


async def test_an_upload_declared_over_the_cap_is_refused_before_reading(
    services: Services, uploaded: Uploader
) -> None:
    upload = await uploaded(b"\0" * (CAP + 1), "big.bin")

    with pytest.raises(ParleyError) as caught:
        await store_upload(services, "workspace-1", upload)

    assert (caught.value.status, caught.value.code) == (413, "file_too_large")
    assert upload.file.tell() == 0


async def test_an_upload_of_exactly_the_cap_is_kept(services: Services, uploaded: Uploader) -> None:
    record = await store_upload(services, "workspace-1", await uploaded(b"%PDF-1.7" + b"\0" * (CAP - 8), "x.pdf"))

    assert (record.size, record.ext, record.name) == (CAP, "pdf", "x")


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [
        ("notes.txt", "Call Ada back about the invoice. Grüße!\n".encode(), ("file", "text/plain", "txt")),
        ("export.CSV", b"name,amount\nada,3\n", ("file", "text/csv", "csv")),
        ("server.log", b"12:00 started\n", ("file", "text/plain", "log")),
        ("notes", b"no extension sent at all\n", ("file", "text/plain", "txt")),
    ],
)
async def test_a_text_file_keeps_its_name_and_is_served_as_text(
    services: Services,
    client: httpx.AsyncClient,
    uploaded: Uploader,
    filename: str,
    content: bytes,
    kind: tuple[str, str, str],
) -> None:
    record = await store_upload(services, "workspace-1", await uploaded(content, filename))

    assert (record.type, record.mime_type, record.ext) == kind
    assert (record.name, record.path.endswith(f".{kind[2]}")) == (filename.rsplit(".", 1)[0], True)
    served = await client.get(f"/static{record.path}")
    assert served.content == content
    assert served.headers["content-type"].split(";")[0] == kind[1]
    assert served.headers["content-disposition"] == "attachment"


async def test_an_image_whose_decode_would_pass_the_budget_is_refused_and_nothing_kept(
    services: Services, store: LocalFileStore, uploaded: Uploader
) -> None:
    """5793 x 5793 RGBA is just over the default 128 MiB budget, though its PNG is about 130 KB."""
    from tests.files.test_decode_memory import _png

    with tempfile.TemporaryDirectory() as scratch:
        content = _png(Path(scratch) / "large.png", 5793, 5793, 8, 6, 4).read_bytes()
    assert len(content) < CAP

    with pytest.raises(ParleyError) as caught:
        await store_upload(services, "workspace-1", await uploaded(content, "large.png"))

    assert (caught.value.status, caught.value.code) == (422, "unsupported_media_type")
    assert _originals(store) == [] and list(store.staging_dir.iterdir()) == []
