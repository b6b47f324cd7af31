"""A real uvicorn server in the test's own event loop: real HTTP and real websockets to the real app."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
import websockets
from fastapi import FastAPI

from parley.serving import uvicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` (its lifespan included) on a free port; yields the base URL."""
    port = free_port()
    options = uvicorn_options(app.state.services.settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextmanager
def live_server_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve `app` from a thread of its own (its own event loop), for synchronous tests such as Hypothesis'."""
    port = free_port()
    options = uvicorn_options(app.state.services.settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Socket:
    """A websocket client that reads event frames."""

    connection: websockets.ClientConnection

    async def next_event(self, within: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.connection.recv(), within))
        return frame

    async def events_until(self, predicate: Any, within: float = 5.0) -> list[dict[str, Any]]:
        """Every frame up to and including the first that satisfies `predicate`."""
        seen: list[dict[str, Any]] = []
        while True:
            seen.append(await self.next_event(within))
            if predicate(seen[-1]):
                return seen

    async def silent_for(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.connection.recv(), seconds)
        except TimeoutError:
            return True
        return False


@asynccontextmanager
async def open_socket(url: str, **headers: str) -> AsyncIterator[Socket]:
    async with websockets.connect(url, additional_headers=headers or None, open_timeout=5) as connection:
        yield Socket(connection)
