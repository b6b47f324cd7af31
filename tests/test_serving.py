"""How uvicorn serves Parley: options that come from the settings reach the real server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

from parley.app import create_app
from parley.config import Settings
from tests.support.databases import sqlite_url_from_template
from tests.support.live import live_server

HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: parley.test\r\n\r\n"


def test_idle_connections_outlast_the_keep_alive_of_proxies_and_clients() -> None:
    """nginx's upstream pool and cloud load balancers keep an idle connection 60 s, httpx 5 s: Parley keeps it
    longer, so nobody sends on a connection that Parley is closing at that moment."""
    assert Settings().keep_alive_seconds > 60


async def test_an_idle_connection_is_closed_after_the_keep_alive_setting(
    sqlite_template_path: Path, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=sqlite_url_from_template(sqlite_template_path, tmp_path),
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-of-sufficient-length-0123456789",
        keep_alive_seconds=0.5,
    )
    async with live_server(create_app(settings)) as base:
        address = urlsplit(base)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        for _ in range(2):  # the connection is reused while it is not idle for long
            writer.write(HEALTH_REQUEST)
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            await reader.readuntil(b"}")
        idle_from = time.monotonic()
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""  # the server closed it
        assert 0.5 <= time.monotonic() - idle_from < 5
        writer.close()
