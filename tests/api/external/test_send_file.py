"""Sending a file by URL: Parley fetches it (safely), sniffs it, stores it by content and serves it back."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from parley.app import create_app
from parley.config import Settings
from parley.files.local import LocalFileStore
from parley.services.context import Services
from tests.conftest import Api
from tests.support.upstream import FileServer, image_bytes

STATIC = "http://parley.test/static"


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {"status": status, "error": {"code": code, "message": body["error"]["message"]}}
    assert body["error"]["message"]


def _unique(name: str) -> str:
    """The file server lives for the whole session: every test serves its own paths."""
    return f"/{uuid.uuid4().hex}/{name}"


async def _send(api: Api, conversation_id: str, url: str, message_uuid: str = "f-1") -> httpx.Response:
    return await api.call(
        "POST", f"/conversation/{conversation_id}/send-file-message", json={"uuid": message_uuid, "file": url}
    )


async def _history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    return list(await api.ok("GET", f"/conversation/{conversation_id}/messages", params={"limit": 100}))


def _expected_path(content: bytes, ext: str) -> str:
    digest = hashlib.sha256(content).hexdigest()
    return f"/{digest[:2]}/{digest[2:4]}/{digest[4:6]}/{digest}.{ext}"


@pytest.mark.parametrize(
    ("fmt", "ext", "mime_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"), ("GIF", "gif", "image/gif")],
)
async def test_an_image_is_stored_by_content_with_its_size_and_thumbnail_urls(
    api: Api, file_server: FileServer, client: httpx.AsyncClient, fmt: str, ext: str, mime_type: str
) -> None:
    content = image_bytes(fmt, (64, 48))
    url = file_server.add(_unique("photo.dat"), content, "text/html")  # the server lies about the type
    conversation = await api.conversation()

    response = await _send(api, conversation["id"], url)

    assert response.status_code == 200, response.text
    message = response.json()["data"]
    assert message["type"] == "file" and message["body"] is None
    assert message["endUser"]["id"] == conversation["endUser"]["id"]
    file = message["file"]
    assert file["type"] == "image"
    assert file["meta"] == {"width": 64, "height": 48}
    assert file["info"]["ext"] == ext and file["info"]["mimeType"] == mime_type
    assert file["info"]["size"] == len(content)
    assert file["info"]["name"] == "photo"
    path = file["info"]["path"]
    assert re.fullmatch(r"/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]+", path)
    assert path == _expected_path(content, ext)
    assert file["url"] == {
        "default": f"{STATIC}{path}",
        "120x120": f"{STATIC}/120x120{path}",
        "520x400": f"{STATIC}/520x400{path}",
    }

    download = await client.get(f"/static{path}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].startswith(mime_type)
    assert [m["id"] for m in await _history(api, conversation["id"])] == [message["id"]]


async def test_a_non_image_is_a_plain_file_whose_sized_urls_are_the_original(
    api: Api, file_server: FileServer, client: httpx.AsyncClient
) -> None:
    content = b"just some notes\nnothing to see\n"
    url = file_server.add(_unique("notes.txt"), content, "image/png")
    conversation = await api.conversation()

    message = (await _send(api, conversation["id"], url)).json()["data"]

    file = message["file"]
    assert file["type"] == "file"
    assert file["meta"] is None
    assert file["info"]["size"] == len(content)
    assert not file["info"]["mimeType"].startswith("image/")
    path = file["info"]["path"]
    assert path == _expected_path(content, file["info"]["ext"])
    default = f"{STATIC}{path}"
    assert file["url"] == {"default": default, "120x120": default, "520x400": default}
    download = await client.get(f"/static{path}")
    assert download.status_code == 200 and download.content == content


async def test_a_replayed_uuid_returns_the_same_message_without_downloading_again(
    api: Api, file_server: FileServer
) -> None:
    served = _unique("photo.png")
    url = file_server.add(served, image_bytes(), "image/png")
    conversation = await api.conversation()
    first = (await _send(api, conversation["id"], url)).json()["data"]
    hits = file_server.hits[served]
    assert hits == 1

    again = await _send(api, conversation["id"], url)

    assert again.status_code == 200, again.text
    assert again.json()["data"] == first
    assert file_server.hits[served] == hits
    assert [m["id"] for m in await _history(api, conversation["id"])] == [first["id"]]


async def test_the_same_uuid_with_another_url_is_a_uuid_conflict(api: Api, file_server: FileServer) -> None:
    first_url = file_server.add(_unique("a.png"), image_bytes(), "image/png")
    other_path = _unique("b.png")
    other_url = file_server.add(other_path, image_bytes(color=(1, 2, 3)), "image/png")
    conversation = await api.conversation()
    first = (await _send(api, conversation["id"], first_url)).json()["data"]

    response = await _send(api, conversation["id"], other_url)

    _assert_error(response, 409, "uuid_conflict")
    assert file_server.hits[other_path] == 0
    assert [m["id"] for m in await _history(api, conversation["id"])] == [first["id"]]


UNSAFE_URLS = [
    ("ftp://example.com/file.png", "unsupported_url"),
    ("file:///etc/passwd", "unsupported_url"),
    ("javascript:alert(1)", "unsupported_url"),
    ("http://10.0.0.1/x", "fetch_forbidden"),
    ("http://169.254.169.254/latest/meta-data", "fetch_forbidden"),
    ("http://[::1]/x", "fetch_forbidden"),
]


async def test_unsafe_urls_are_refused_and_nothing_is_stored(api: Api) -> None:
    conversation = await api.conversation()

    for url, code in UNSAFE_URLS:
        _assert_error(await _send(api, conversation["id"], url), 422, code)

    assert await _history(api, conversation["id"]) == []


async def test_an_upstream_404_is_a_fetch_failure_and_nothing_is_stored(api: Api, file_server: FileServer) -> None:
    missing = _unique("gone.png")
    conversation = await api.conversation()

    response = await _send(api, conversation["id"], file_server.url(missing))

    _assert_error(response, 422, "fetch_failed")
    assert file_server.hits[missing] == 1
    assert await _history(api, conversation["id"]) == []


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same database served by an app whose outbound fetches have no allow-list (loopback is forbidden).

    Settings are rebuilt rather than `model_copy`-ed: a copy would carry the cached allow-list networks along.
    """
    strict = Settings.model_validate({**settings.model_dump(), "fetch_allowlist": []})
    application = create_app(strict)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(application), base_url="http://parley.test") as http,
    ):
        yield http


async def test_loopback_is_forbidden_without_the_allow_list(
    api: Api, file_server: FileServer, strict_client: httpx.AsyncClient
) -> None:
    served = _unique("local.png")
    url = file_server.add(served, image_bytes(), "image/png")
    conversation = await api.conversation()
    strict = Api(strict_client, api.token, api.workspace_id)

    response = await _send(strict, conversation["id"], url)

    _assert_error(response, 422, "fetch_forbidden")
    assert file_server.hits[served] == 0
    assert await _history(api, conversation["id"]) == []


async def test_a_locked_conversation_refuses_a_file_and_stores_nothing(api: Api, file_server: FileServer) -> None:
    url = file_server.add(_unique("photo.png"), image_bytes(), "image/png")
    conversation = await api.conversation()
    await api.ok("POST", f"/conversation/{conversation['id']}/lock")

    _assert_error(await _send(api, conversation["id"], url), 423, "conversation_locked")

    assert await _history(api, conversation["id"]) == []
    await api.ok("POST", f"/conversation/{conversation['id']}/unlock")
    sent = (await _send(api, conversation["id"], url)).json()["data"]
    assert [m["id"] for m in await _history(api, conversation["id"])] == [sent["id"]]


def _static(url: str) -> str:
    """The path on our own server of a File URL."""
    assert url.startswith(STATIC)
    return "/static" + url.removeprefix(STATIC)


async def _thumbnail(client: httpx.AsyncClient, url: str) -> Image.Image:
    response = await client.get(_static(url))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(response.content))
    assert response.headers["content-type"] == Image.MIME[image.format or ""]
    return image


async def test_an_images_thumbnails_are_served_at_its_sized_urls(
    api: Api, file_server: FileServer, client: httpx.AsyncClient
) -> None:
    url = file_server.add(_unique("wide.jpg"), image_bytes("JPEG", (1600, 1000)), "image/jpeg")
    conversation = await api.conversation()

    file = (await _send(api, conversation["id"], url)).json()["data"]["file"]

    small, medium = await _thumbnail(client, file["url"]["120x120"]), await _thumbnail(client, file["url"]["520x400"])
    assert (small.format, small.size) == ("JPEG", (120, 75))
    assert (medium.format, medium.size) == ("JPEG", (520, 325))


async def test_an_animated_gif_has_still_thumbnails(
    api: Api, file_server: FileServer, client: httpx.AsyncClient
) -> None:
    frames = [Image.new("RGB", (300, 150), colour) for colour in ((250, 0, 0), (0, 250, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    url = file_server.add(_unique("dance.gif"), buffer.getvalue(), "image/gif")
    conversation = await api.conversation()

    file = (await _send(api, conversation["id"], url)).json()["data"]["file"]

    assert (file["type"], file["info"]["mimeType"], file["meta"]) == (
        "image",
        "image/gif",
        {"width": 300, "height": 150},
    )
    small = await _thumbnail(client, file["url"]["120x120"])
    assert (small.format, small.size, getattr(small, "is_animated", False)) == ("PNG", (120, 60), False)
    original = await client.get(_static(file["url"]["default"]))
    assert getattr(Image.open(io.BytesIO(original.content)), "n_frames", 1) == 2  # the original keeps its animation


async def test_the_same_bytes_sent_twice_are_one_file_on_disk(
    api: Api, file_server: FileServer, services: Services
) -> None:
    content = image_bytes("PNG", (90, 90), color=(9, 8, 7))
    urls = [file_server.add(_unique(name), content, "image/png") for name in ("one.png", "two.png")]
    conversation = await api.conversation()

    files = [
        (await _send(api, conversation["id"], url, message_uuid=f"dup-{i}")).json()["data"]["file"]
        for i, url in enumerate(urls)
    ]

    assert files[0]["id"] != files[1]["id"]
    assert files[0]["info"]["path"] == files[1]["info"]["path"] == _expected_path(content, "png")
    store = services.files
    assert isinstance(store, LocalFileStore)
    originals = [p for p in store.root.rglob("*.png") if p.parent.parent.parent.parent == store.root]
    assert originals == [store.local_path(files[0]["info"]["path"])]


async def test_a_host_name_that_resolves_to_loopback_is_forbidden(
    api: Api, file_server: FileServer, strict_client: httpx.AsyncClient
) -> None:
    served = _unique("named.png")
    file_server.add(served, image_bytes(), "image/png")
    conversation = await api.conversation()
    strict = Api(strict_client, api.token, api.workspace_id)

    response = await _send(strict, conversation["id"], f"http://localhost:{file_server.port}{served}")

    _assert_error(response, 422, "fetch_forbidden")
    assert "localhost" in response.json()["error"]["message"]
    assert file_server.hits[served] == 0
    assert await _history(api, conversation["id"]) == []


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (640, 480)), ("PNG", (200, 500))])
async def test_an_agents_avatar_has_thumbnails(
    api: Api, file_server: FileServer, client: httpx.AsyncClient, fmt: str, size: tuple[int, int]
) -> None:
    url = file_server.add(_unique("face"), image_bytes(fmt, size), "image/jpeg")

    agent = await api.agent(avatar=url)
    updated = await api.ok("PUT", f"/agents/{agent['id']}", json={"avatar": url})

    assert updated["avatar"]["info"]["path"] == agent["avatar"]["info"]["path"]
    for avatar in (agent["avatar"], updated["avatar"]):
        assert avatar["type"] == "image"
        small = await _thumbnail(client, avatar["url"]["120x120"])
        assert small.format == fmt
        assert small.width <= 120 and small.height <= 120 and max(small.size) == 120
        medium = await _thumbnail(client, avatar["url"]["520x400"])
        assert medium.width <= 520 and medium.height <= 400
