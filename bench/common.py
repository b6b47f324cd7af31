"""What the benchmarks share: Parley run as operators run it (`parley migrate`, `parley workspaces create`,
`parley serve`), each in a data dir (and a PostgreSQL database) of its own, and visitors started as the widget
starts them."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import websockets

BIN = Path(sys.executable).parent
PARLEY = str(BIN / "parley")


def parley(env: dict[str, str], *arguments: str) -> str:
    """Run a `parley` command; its output."""
    return subprocess.run([PARLEY, *arguments], env=env, check=True, capture_output=True, text=True).stdout


def parley_env(data_dir: Path, database_url: str | None, **settings: str) -> dict[str, str]:
    """This environment without any PARLEY_* of its own, plus the data dir, the database and `settings`
    (`RATE_LIMIT_SESSION=""` is PARLEY_RATE_LIMIT_SESSION)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_DATA_DIR"] = str(data_dir)
    if database_url:
        env["PARLEY_DATABASE_URL"] = database_url
    env.update({f"PARLEY_{name}": value for name, value in settings.items()})
    return env


def raise_open_files() -> None:
    """Up to the hard limit: thousands of sockets in one process (its children inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/docs", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not come up")


@contextmanager
def started(command: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A server's process, once it answers on `port`; terminated afterwards."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """A server's base URL, once it answers."""
    with started(command, env, port):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A database of the benchmark's own, dropped afterwards."""
    import asyncpg

    name = f"parley_bench_{time.time_ns()}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def visitor_token(http: httpx.AsyncClient, site_key: str) -> str:
    """A new anonymous visitor, as the widget starts one (`POST /api/widget/v1/session`): their token."""
    answer = await http.post("/api/widget/v1/session", json={"siteKey": site_key})
    if answer.status_code != 200:
        raise RuntimeError(f"a widget session was refused: {answer.status_code} {answer.text[:300]}")
    return str(answer.json()["data"]["endUser"]["websocketToken"])


async def browser_socket(base: str, path: str, token: str) -> websockets.ClientConnection:
    """A websocket opened as a browser opens one: it sends no pings of its own (the server's are answered)."""
    return await websockets.connect(f"ws{base.removeprefix('http')}{path}?token={token}", ping_interval=None)
