"""Realtime tests run the app under a real uvicorn, with real websocket clients."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.app import create_app
from parley.config import Settings
from parley.services.context import Services
from parley.services.workspaces import create_workspace
from tests.conftest import Api
from tests.support.live import Socket, free_port, live_server, open_socket
from tests.support.processes import parley_env, run_parley, serving
from tests.support.redis import require_redis
from tests.support.waiting import eventually


@dataclass
class Live:
    base: str
    services: Services
    api: Api
    http: httpx.AsyncClient

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://")

    async def visitor(self, **headers: str) -> dict[str, Any]:
        """A new anonymous visitor on the workspace: {endUser, conversation (null until they write), settings}."""
        response = await self.http.post("/api/widget/v1/session", json={"siteKey": self.site_key}, headers=headers)
        assert response.status_code == 200, response.text
        session: dict[str, Any] = response.json()["data"]
        return session

    async def visitor_in_conversation(self, first_message: str = "Hello") -> dict[str, Any]:
        """A new visitor whose first message opened their conversation: the session as it answers then."""
        token = (await self.visitor())["endUser"]["websocketToken"]
        await self.widget(token, "POST", "/messages", json={"uuid": "first", "text": first_message})
        response = await self.http.post("/api/widget/v1/session", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        session: dict[str, Any] = response.json()["data"]
        return session

    async def widget(self, token: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(
            method, f"/api/widget/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def console(self, token: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(
            method, f"/api/agent/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def agent_with_token(
        self, service_user_id: str = "agent-1", role: str = "agent"
    ) -> tuple[dict[str, Any], str]:
        agent = await self.api.agent(service_user_id, role=role)
        token = (await self.api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
        return agent, token

    site_key: str = ""


@pytest.fixture
def realtime_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Short waits for the tests; a test changes more with
    `@pytest.mark.parametrize("realtime_settings", [{...}], indirect=True)`."""
    changes: dict[str, Any] = getattr(request, "param", {})
    return settings.model_copy(
        update={
            "presence_grace_seconds": 0.2,
            "ws_queue_limit": 20,
            "max_file_bytes": 2_000_000,
            "ws_ping_interval_seconds": 0.5,
            **changes,
        }
    )


@pytest.fixture
async def live(realtime_settings: Settings) -> AsyncIterator[Live]:
    app = create_app(realtime_settings)
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        services: Services = app.state.services
        workspace, token = await create_workspace(services, "Acme")
        yield Live(base, services, Api(http, token, workspace.id), http, site_key=workspace.site_key)


async def hears(socket: Socket, text: str) -> bool:
    """Whether the message `text` reaches `socket` within half a second (the frames before it are read past)."""
    try:
        await socket.events_until(lambda f: f["event"] == "message.created" and f["data"]["body"] == text, 0.5)
    except TimeoutError:
        return False
    return True


async def until_every_socket_hears(send: Callable[[str], Awaitable[object]], sockets: Sequence[Socket]) -> None:
    """Send numbered pings until one reaches every socket: the Redis links between the workers are live.

    Each worker subscribes to Redis as it starts; a ping proves the subscription is in place for the sockets
    that share its worker, where a fixed wait would only hope so. Every socket has read up to the same ping.
    """
    numbers = itertools.count()

    async def heard_everywhere() -> bool:
        text = f"ping {next(numbers)}"
        await send(text)
        return all(await asyncio.gather(*(hears(socket, text) for socket in sockets)))

    await eventually(heard_everywhere, what="a ping to reach every socket")


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def served_with_two_workers(redis_url: str, postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """`parley serve --workers 2` on PostgreSQL + Redis; yields (base URL, API token, site key)."""
    env = parley_env(
        PARLEY_DATABASE_URL=postgres_url,
        PARLEY_REDIS_URL=redis_url,
        PARLEY_DATA_DIR=str(tmp_path),
        PARLEY_SECRET_KEY="a-secret-shared-by-every-worker-0123456789",
    )
    workspace = json.loads(run_parley(env, "workspaces", "create", "Acme", "--json").stdout)
    listed = json.loads(run_parley(env, "workspaces", "list", "--json").stdout)
    site_key = next(w["siteKey"] for w in listed if w["id"] == workspace["id"])
    with serving(env, free_port(), "--workers", "2") as base:
        yield base, workspace["token"], site_key


@pytest.fixture
async def two_workers(settings: Settings, redis_url: str, postgres_url: str) -> AsyncIterator[tuple[Live, Live]]:
    """Two Parley instances, each with its own Services, hub and Redis connection, over one PostgreSQL."""
    async with running_workers(settings, [redis_url, redis_url]) as workers:
        yield workers


@asynccontextmanager
async def running_workers(settings: Settings, redis_urls: list[str]) -> AsyncIterator[tuple[Live, Live]]:
    """Two workers over `settings`' database, each reaching Redis at its own of `redis_urls`; returned once a
    message through the first reaches a socket on the second."""
    async with AsyncExitStack() as stack:
        workers: list[Live] = []
        token, site_key, workspace_id = "", "", ""
        for index, redis_url in enumerate(redis_urls):
            shared = settings.model_copy(update={"redis_url": redis_url, "presence_grace_seconds": 0.2})
            app = create_app(shared)
            base = await stack.enter_async_context(live_server(app))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=10))
            services: Services = app.state.services
            if index == 0:
                workspace, token = await create_workspace(services, "Acme")
                site_key, workspace_id = workspace.site_key, workspace.id
            workers.append(Live(base, services, Api(http, token, workspace_id), http, site_key=site_key))
        a, b = workers
        pinger = (await a.visitor())["endUser"]["websocketToken"]
        async with open_socket(f"{b.ws_base}/api/widget/v1/ws?token={pinger}") as socket:
            await until_every_socket_hears(
                lambda text: a.widget(pinger, "POST", "/messages", json={"uuid": text, "text": text}), [socket]
            )
        yield a, b
