"""`/healthz` and `/readyz`. The shared Redis and database are never stopped: a second app is pointed at a dead
port or an unreachable database instead, and sees 503 naming it; a live one sees 200; a database that comes
into being (SQLite in a directory created later) turns 503 into 200 without a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from parley.app import create_app
from parley.config import Settings
from tests.support.live import free_port
from tests.support.redis import require_redis


async def ready(app: FastAPI) -> httpx.Response:
    """Only /readyz is asked: no lifespan is needed (nothing of it runs), so a dead dependency cannot stop startup."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://parley.test") as client:
        return await client.get("/readyz")


def not_ready_message(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == 503
    assert body["error"]["code"] == "not_ready"
    message: str = body["error"]["message"]
    return message


async def test_a_live_app_is_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_a_live_app_with_redis_is_ready(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": require_redis()}))
    response = await ready(app)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    await app.state.services.rate_limits.close()


async def test_a_dead_redis_makes_it_unready_and_says_so(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}))
    message = not_ready_message(await ready(app))
    assert "redis" in message
    assert "database" not in message  # the database answered
    await app.state.services.rate_limits.close()


async def test_a_dead_postgresql_makes_it_unready(settings: Settings) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/parley"
    app = create_app(settings.model_copy(update={"database_url": dead}))
    message = not_ready_message(await ready(app))
    assert message.startswith("Not ready: database:")
    assert "redis" not in message
    await app.state.services.db.dispose()


async def test_an_unreachable_sqlite_file_is_unready_then_ready_once_it_can_be_opened(
    settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "not-yet" / "parley.db"
    app = create_app(settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{missing}"}))
    assert "database" in not_ready_message(await ready(app))
    missing.parent.mkdir()  # the volume is mounted, say
    response = await ready(app)
    assert response.status_code == 200, response.text
    await app.state.services.db.dispose()
