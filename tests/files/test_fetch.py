"""Fetching attachments by URL, against a real HTTP server: what is downloaded, what is refused, and how early."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from parley.config import Settings
from parley.errors import ParleyError
from parley.files.fetch import Download, fetch_url
from parley.files.spool import Spool
from tests.support.files import DECODE_BYTES, sniff


def image_bytes(fmt: str, size: tuple[int, int] = (7, 5)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


@dataclass
class Upstream:
    """The running server: its base URL, and how much of the endless body it managed to send."""

    port: int
    endless_sent: int = 0
    endless_stopped: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        if segments[0] == "hops" and int(segments[1]) > 0:
            self._redirect(f"/hops/{int(segments[1]) - 1}/{segments[2]}")
        elif segments[0] in {"hops", "image.png", "photo.txt"}:
            self._send(200, image_bytes("PNG"), {"Content-Type": "text/plain"})
        elif segments[0] == "named":
            self._send(200, image_bytes("PNG"), {"Content-Disposition": 'attachment; filename="../x/Report.final.png"'})
        elif segments[0] == "redirect":
            self._redirect(parse_qs(parts.query)["to"][0])
        elif segments[0] == "echo-host":
            self._send(200, self.headers["Host"].encode(), {})
        elif segments[0] == "endless":
            self._endless()
        elif segments[0] == "declared-huge":
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            time.sleep(5)  # the body never comes: the size it declares must be refused without waiting for it
        elif segments[0] == "trickle":
            self._trickle()
        elif segments[0] == "stall":
            self.send_response(200)
            self.end_headers()
            time.sleep(5)  # headers, then silence: the fetch's read timeout must end it
        else:
            self._send(404, b"not here", {})

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        """A body that never ends, trickled out; it stops only when the client hangs up."""
        upstream = self.server.upstream
        self.send_response(200)
        self.end_headers()
        chunk = b"\0" * 4096
        try:
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                upstream.endless_sent += len(chunk)
                time.sleep(0.005)
        except OSError:
            upstream.endless_stopped.set()

    def _trickle(self) -> None:
        """A byte at a time, each well within any read timeout, for ten seconds."""
        self.send_response(200)
        self.send_header("Content-Length", "200")
        self.end_headers()
        with contextlib.suppress(OSError):
            for _ in range(200):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.upstream = Upstream(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.upstream
    finally:
        server.shutdown()
        server.server_close()


def settings(tmp_path: Path, allow: list[str], **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path, fetch_allowlist=allow, **overrides)


async def fetched(url: str, config: Settings) -> tuple[Download, bytes]:
    """Fetch into a spool under the data dir, as the services do; the bytes as they landed on disk."""
    async with Spool(config.data_dir / "spool", config.max_file_bytes) as spool:
        download = await fetch_url(url, config, into=spool)
        return download, (await spool.finish()).path.read_bytes()


async def refused(url: str, config: Settings) -> ParleyError:
    with pytest.raises(ParleyError) as caught:
        await fetched(url, config)
    assert list((config.data_dir / "spool").iterdir()) == [], "a refused download left a file behind"
    return caught.value


async def test_fetching_a_png_returns_its_bytes_and_name(upstream: Upstream, tmp_path: Path) -> None:
    download, content = await fetched(upstream.url("/image.png"), settings(tmp_path, ["127.0.0.1"]))

    assert content == image_bytes("PNG")
    assert download.name == "image"
    assert download.source_url == upstream.url("/image.png")


async def test_the_bytes_decide_the_type_not_the_name_or_header(upstream: Upstream, tmp_path: Path) -> None:
    download, content = await fetched(upstream.url("/photo.txt"), settings(tmp_path, ["127.0.0.1"]))

    assert (download.name, sniff(content, DECODE_BYTES).mime_type) == ("photo", "image/png")


async def test_content_disposition_names_the_file_safely(upstream: Upstream, tmp_path: Path) -> None:
    download, _ = await fetched(upstream.url("/named"), settings(tmp_path, ["127.0.0.1"]))

    assert download.name == "Report.final"


async def test_the_request_carries_the_original_host_name(upstream: Upstream, tmp_path: Path) -> None:
    if socket.getaddrinfo("localhost", None)[0][4][0] != "127.0.0.1":
        pytest.skip("localhost does not resolve to 127.0.0.1 first here")
    _, content = await fetched(upstream.url("/echo-host", host="localhost"), settings(tmp_path, ["localhost"]))

    assert content == f"localhost:{upstream.port}".encode()


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "file:///etc/passwd", "javascript:alert(1)", "http:///x"])
async def test_only_http_urls_with_a_host_are_fetched(url: str, tmp_path: Path) -> None:
    error = await refused(url, settings(tmp_path, []))

    assert (error.status, error.code) == (422, "unsupported_url")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://localhost/",
        "http://2130706433/",
    ],
)
async def test_internal_addresses_are_forbidden(url: str, tmp_path: Path) -> None:
    error = await refused(url, settings(tmp_path, []))

    assert (error.status, error.code) == (422, "fetch_forbidden")
    assert error.message.endswith("which is not allowed.")


async def test_an_unresolvable_host_fails(tmp_path: Path) -> None:
    error = await refused("http://no-such-host.invalid/a.png", settings(tmp_path, []))

    assert (error.status, error.code) == (422, "fetch_failed")


async def test_a_redirect_to_a_loopback_address_that_is_not_allow_listed_is_refused(
    upstream: Upstream, tmp_path: Path
) -> None:
    if socket.getaddrinfo("localhost", None)[0][4][0] != "127.0.0.1":
        pytest.skip("localhost does not resolve to 127.0.0.1 first here")
    url = upstream.url(f"/redirect?to={upstream.url('/image.png')}", host="localhost")

    error = await refused(url, settings(tmp_path, ["localhost"]))
    _, allowed = await fetched(url, settings(tmp_path, ["localhost", "127.0.0.1"]))

    assert (error.status, error.code) == (422, "fetch_forbidden")
    assert allowed == image_bytes("PNG")


async def test_three_redirects_are_followed_and_a_fourth_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    config = settings(tmp_path, ["127.0.0.1"])

    download, content = await fetched(upstream.url("/hops/3/pic.png"), config)
    error = await refused(upstream.url("/hops/4/pic.png"), config)

    assert (content, download.name) == (image_bytes("PNG"), "pic")
    assert (error.status, error.code) == (422, "fetch_failed")


async def test_an_endless_body_is_cut_soon_after_the_cap(upstream: Upstream, tmp_path: Path) -> None:
    cap = 64 * 1024
    started = time.monotonic()

    error = await refused(upstream.url("/endless"), settings(tmp_path, ["127.0.0.1"], max_file_bytes=cap))

    assert (error.status, error.code) == (413, "file_too_large")
    assert time.monotonic() - started < 5
    assert upstream.endless_sent < cap + 256 * 1024
    assert upstream.endless_stopped.wait(5), "the server kept sending after the client gave up"


async def test_a_declared_length_over_the_cap_is_refused_before_reading(upstream: Upstream, tmp_path: Path) -> None:
    started = time.monotonic()

    error = await refused(upstream.url("/declared-huge"), settings(tmp_path, ["127.0.0.1"], max_file_bytes=1024))

    assert (error.status, error.code) == (413, "file_too_large")
    assert time.monotonic() - started < 2


async def test_an_upstream_404_fails(upstream: Upstream, tmp_path: Path) -> None:
    error = await refused(upstream.url("/missing.png"), settings(tmp_path, ["127.0.0.1"]))

    assert (error.status, error.code) == (422, "fetch_failed")
    assert "404" in error.message


async def test_a_stalled_body_times_out(upstream: Upstream, tmp_path: Path) -> None:
    config = settings(tmp_path, ["127.0.0.1"], fetch_read_timeout=0.3)

    error = await refused(upstream.url("/stall"), config)

    assert (error.status, error.code) == (422, "fetch_failed")


async def test_a_body_trickled_past_the_total_timeout_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    config = settings(tmp_path, ["127.0.0.1"], fetch_read_timeout=5, fetch_total_timeout=0.5)
    started = time.monotonic()

    error = await refused(upstream.url("/trickle"), config)

    assert (error.status, error.code, error.message) == (422, "fetch_failed", "The URL took too long to answer.")
    assert time.monotonic() - started < 3


async def test_a_refused_connection_fails(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = await refused(f"http://127.0.0.1:{port}/", settings(tmp_path, ["127.0.0.0/8"]))

    assert (error.status, error.code) == (422, "fetch_failed")
