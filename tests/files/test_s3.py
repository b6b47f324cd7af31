"""The S3-compatible backend against a real S3-compatible server: moto's, started as a subprocess on 127.0.0.1.

The store is exercised directly (put, dedup, thumbnails, the objects' own headers, byte ranges) and through the
whole app (send-file-message, then `/static/` streaming from the bucket).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest
from PIL import Image

from parley.config import Settings
from parley.files.blobs import StoredPath
from parley.files.s3 import S3FileStore
from parley.files.store import build_file_store
from parley.services.context import Services
from tests.conftest import Api
from tests.support.processes import stop_process
from tests.support.upstream import FileServer, image_bytes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

IMMUTABLE = "public, max-age=31536000, immutable"
CREDENTIALS = {
    "s3_access_key_id": "parley-test",
    "s3_secret_access_key": "parley-test-secret",
    "s3_region": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m moto.server` on a free port, for this module's tests."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    endpoint = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"moto exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto did not answer within 30 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        yield endpoint
    finally:
        stop_process(server)


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A fresh bucket per test."""
    name = f"parley-{uuid.uuid4().hex[:12]}"
    _client(s3_endpoint).create_bucket(Bucket=name)
    return name


def _client(endpoint: str) -> S3Client:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["s3_access_key_id"],
        aws_secret_access_key=CREDENTIALS["s3_secret_access_key"],
    )


@pytest.fixture
def s3(s3_endpoint: str) -> S3Client:
    """A client of our own, to look at the bucket from outside Parley."""
    return _client(s3_endpoint)


def _s3_settings(base: dict[str, Any], endpoint: str, bucket: str) -> Settings:
    return Settings.model_validate(
        {**base, **CREDENTIALS, "file_store": "s3", "s3_bucket": bucket, "s3_endpoint_url": endpoint}
    )


@pytest.fixture
def store(s3_endpoint: str, bucket: str, tmp_path: Path) -> S3FileStore:
    built = build_file_store(_s3_settings({"data_dir": tmp_path}, s3_endpoint, bucket))
    assert isinstance(built, S3FileStore)
    return built


def _keys(s3: S3Client, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


async def _read(store: S3FileStore, path: str, box: Any = None, start: int = 0, end: int | None = None) -> bytes:
    blob = await store.open(path, box)
    assert blob is not None
    return b"".join([chunk async for chunk in store.read(blob, start, end)])


def test_the_s3_backend_needs_a_bucket() -> None:
    with pytest.raises(ValueError, match="PARLEY_S3_BUCKET"):
        Settings(file_store="s3")


async def test_an_image_round_trips_with_its_thumbnails_laid_out_like_the_urls(
    store: S3FileStore, s3: S3Client, bucket: str
) -> None:
    content = image_bytes("JPEG", (800, 600))

    blob = await store.put(content, "jpeg")

    key = blob.path.removeprefix("/")
    assert _keys(s3, bucket) == sorted([key, f"120x120/{key}", f"520x400/{key}"])
    assert await store.exists(blob.path)
    assert await _read(store, blob.path) == content
    assert await _read(store, blob.path, start=100, end=200) == content[100:200]
    for box, size in (("120x120", (120, 90)), ("520x400", (520, 390))):
        thumbnail = Image.open(io.BytesIO(await _read(store, blob.path, box)))
        assert (thumbnail.format, thumbnail.size) == ("JPEG", size)
        head = s3.head_object(Bucket=bucket, Key=f"{box}/{key}")
        assert (head["ContentType"], head["CacheControl"]) == ("image/jpeg", IMMUTABLE)
    original = s3.head_object(Bucket=bucket, Key=key)
    assert (original["ContentType"], original["CacheControl"]) == ("image/jpeg", IMMUTABLE)
    assert "ContentDisposition" not in original
    assert original["Metadata"] == {"sha256": blob.sha256}
    assert list(store.staging_dir.iterdir()) == []


async def test_the_same_bytes_are_uploaded_once(store: S3FileStore, s3: S3Client, bucket: str) -> None:
    content = b"%PDF-1.7 the same document twice"
    first = await store.put(content, "pdf")
    key = first.path.removeprefix("/")
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "written", "Value": "once"}]})

    second = await store.put(content, "pdf")

    assert first == second
    assert _keys(s3, bucket) == [key]
    # Uploading again would have replaced the object, and its tags with it.
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "written", "Value": "once"}]
    head = s3.head_object(Bucket=bucket, Key=key)
    assert (head["ContentType"], head["ContentDisposition"]) == ("application/pdf", "attachment")
    assert list(store.staging_dir.iterdir()) == []


async def test_missing_objects_and_non_images_have_nothing_to_open(store: S3FileStore) -> None:
    pdf = await store.put(b"%PDF-1.7", "pdf")
    absent = "/ab/cd/ef/abcdef" + "0" * 58 + ".png"

    assert await store.open(pdf.path, "120x120") is None
    assert await store.open(absent) is None
    assert await store.open(absent, "120x120") is None
    assert not await store.exists(absent)


async def test_an_image_that_cannot_be_rendered_is_decoded_once_and_becomes_a_download(
    store: S3FileStore, s3: S3Client, bucket: str, s3_endpoint: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As an earlier Parley left it in the bucket: the original, shown inline, and no thumbnails."""
    content = image_bytes("PNG", (600, 400))[:150]
    key = StoredPath.for_content(hashlib.sha256(content).hexdigest(), "png").key()
    s3.put_object(Bucket=bucket, Key=key, Body=content, ContentType="image/png")
    caplog.set_level(logging.WARNING)

    opened = await asyncio.gather(*(store.open(f"/{key}", "520x400") for _ in range(6)))
    restarted = build_file_store(_s3_settings({"data_dir": tmp_path}, s3_endpoint, bucket))
    again = await restarted.open(f"/{key}", "120x120")
    original = await restarted.open(f"/{key}")

    assert opened == [None] * 6 and again is None
    failures = [r for r in caplog.records if "no thumbnails" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None
    assert s3.head_object(Bucket=bucket, Key=key)["ContentDisposition"] == "attachment"
    assert original is not None and not original.inline
    assert await _read(store, f"/{key}") == content


@pytest.fixture
def settings(settings: Settings, s3_endpoint: str, bucket: str) -> Settings:
    """The whole app, on the S3 backend."""
    return _s3_settings(settings.model_dump(), s3_endpoint, bucket)


async def test_the_app_stores_a_sent_file_in_the_bucket_and_streams_it_back(
    api: Api, services: Services, client: httpx.AsyncClient, file_server: FileServer, s3: S3Client, bucket: str
) -> None:
    assert isinstance(services.files, S3FileStore)
    content = image_bytes("PNG", (640, 480))
    url = file_server.add(f"/{uuid.uuid4().hex}/photo.png", content, "image/png")
    conversation = await api.conversation()

    message = await api.ok(
        "POST", f"/conversation/{conversation['id']}/send-file-message", json={"uuid": "s3-1", "file": url}
    )

    path = message["file"]["info"]["path"]
    key = path.removeprefix("/")
    assert key in _keys(s3, bucket)
    whole = await client.get(f"/static{path}")
    assert whole.status_code == 200 and whole.content == content
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["etag"] == f'"{key.rsplit("/", 1)[-1].split(".")[0]}"'
    assert whole.headers["cache-control"] == IMMUTABLE
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-length"] == str(len(content))
    part = await client.get(f"/static{path}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(content)}"
    tail = await client.get(f"/static{path}", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == content[-10:]
    beyond = await client.get(f"/static{path}", headers={"Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(content)}"
    assert (
        beyond.headers["x-content-type-options"] == "nosniff" and "sandbox" in beyond.headers["content-security-policy"]
    )
    malformed = await client.get(f"/static{path}", headers={"Range": "bytes=abc"})
    assert malformed.status_code == 200 and malformed.content == content
    head = await client.head(f"/static{path}")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", str(len(content)))
    unchanged = await client.get(f"/static{path}", headers={"If-None-Match": whole.headers["etag"]})
    assert unchanged.status_code == 304

    s3.delete_object(Bucket=bucket, Key=f"120x120/{key}")  # lost: made again from the bucket's original
    small = await client.get(f"/static/120x120{path}")
    assert small.status_code == 200 and small.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(small.content)).size == (120, 90)
    assert f"120x120/{key}" in _keys(s3, bucket)
    assert (await client.get(f"/static/520x400{path}")).status_code == 200


async def test_a_document_from_the_bucket_is_a_download(
    services: Services, client: httpx.AsyncClient, s3: S3Client, bucket: str
) -> None:
    blob = await services.files.put(b"<html><script>alert(1)</script></html>", "bin")

    response = await client.get(f"/static{blob.path}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment"
    assert (await client.get(f"/static/120x120{blob.path}")).status_code == 404
    assert (await client.get("/static/ab/cd/ef/abcdef" + "0" * 58 + ".bin")).status_code == 404
