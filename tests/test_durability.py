"""Acknowledged means durable: kill -9 the server under load, restart it, and find every answered message once."""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.live import free_port
from tests.support.processes import parley_env, run_parley, start_serving


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_acknowledged_message_survives_sigkill_exactly_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = parley_env(PARLEY_DATA_DIR=str(tmp_path))
    if backend == "postgresql":
        env["PARLEY_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    run_parley(env, "migrate")
    headers = {"Authorization": json.loads(run_parley(env, "workspaces", "create", "Acme", "--json").stdout)["token"]}
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/external/v1"
    server = start_serving(env, port)
    end_user = httpx.post(f"{base}/end-users", json={}, headers=headers).json()["data"]
    conversation = httpx.post(f"{base}/conversations", json={"endUserId": end_user["id"]}, headers=headers).json()
    path = f"{base}/conversation/{conversation['data']['id']}"
    acknowledged: list[str] = []

    async def sender(client: httpx.AsyncClient, prefix: int) -> None:
        for i in range(10_000):
            uuid = f"{prefix}-{i}"
            try:
                response = await client.post(
                    f"{path}/send-text-message", json={"uuid": uuid, "text": uuid}, headers=headers
                )
            except httpx.TransportError:
                return
            if response.status_code == 200:
                acknowledged.append(uuid)

    async def load_then_kill() -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            senders = [asyncio.create_task(sender(client, n)) for n in range(16)]
            await asyncio.sleep(random.uniform(0.5, 1.5))  # the kill lands at a random point of the load
            server.send_signal(signal.SIGKILL)
            await asyncio.gather(*senders)

    asyncio.run(load_then_kill())
    server.wait(timeout=10)
    assert len(acknowledged) > 20, f"the load ran long enough to matter ({len(acknowledged)} acknowledged)"

    port = free_port()  # a fresh port: the killed server's may linger
    path = path.replace(base, f"http://127.0.0.1:{port}/api/external/v1")
    server = start_serving(env, port)
    try:
        stored: list[str] = []
        after = 0
        while page := httpx.get(f"{path}/messages", params={"after": after, "limit": 100}, headers=headers).json()[
            "data"
        ]:
            stored += [m["uuid"] for m in page]
            after = page[-1]["microseconds"]
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert len(stored) == len(set(stored)), "no message stored twice"
    assert set(acknowledged) <= set(stored), f"lost: {sorted(set(acknowledged) - set(stored))[:5]}"
