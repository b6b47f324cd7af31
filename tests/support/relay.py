"""A TCP relay in front of a server, for what the tests need to see or change on the wire: each chunk a client
sends is shown to that connection's watcher (`watching()` makes one a connection), and held `delay` seconds before
it is passed on (in order), as a slow link would."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

Watch = Callable[[bytes], None]
Watching = Callable[[], Watch]


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, watch: Watch | None = None, delay: float = 0.0
) -> None:
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def pass_on() -> None:
        while True:
            due, data = await held.get()
            if not data:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()

    passing = asyncio.create_task(pass_on())
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            if watch is not None:
                watch(data)
            held.put_nowait((time.monotonic() + delay, data))
    held.put_nowait((0.0, b""))
    with contextlib.suppress(ConnectionError):
        await passing
    writer.close()


@contextlib.asynccontextmanager
async def relay(host: str, port: int, watching: Watching | None = None, delay: float = 0.0) -> AsyncIterator[int]:
    """Listens on a free port of 127.0.0.1 (yielded) and relays each connection to `host:port`."""

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, port)
        watch = None if watching is None else watching()
        await asyncio.gather(_pipe(client_reader, server_writer, watch, delay), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
