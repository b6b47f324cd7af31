"""Shared fixtures: every API test runs against the real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.app import create_app
from parley.config import Settings
from parley.services import presence
from parley.services.context import Services
from parley.services.workspaces import create_workspace
from parley.storage.repositories import workspaces as workspace_repo
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    sqlite_template,
    sqlite_url_from_template,
    truncate_postgres,
)
from tests.support.upstream import FileServer, running_file_server


@pytest.fixture(scope="session")
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template_path: Path
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_from_template(sqlite_template_path, tmp_path)
        return
    url: str = request.getfixturevalue("postgres_url")
    await truncate_postgres(url)
    yield url


@pytest.fixture(scope="session")
def file_server() -> Iterator[FileServer]:
    with running_file_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        public_url="http://parley.test",
        secret_key="test-secret-key-of-sufficient-length-0123456789",
        fetch_allowlist=["127.0.0.1"],
        token_cache_seconds=0.5,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


@dataclass
class Api:
    """An HTTP client of the External API, signed in as one workspace."""

    client: httpx.AsyncClient
    token: str
    workspace_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"/api/external/v1{path}", headers=self.headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call and expect the success envelope; returns its `data`."""
        response = await self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == 200
        return body["data"]

    async def conversation(self, **end_user: Any) -> dict[str, Any]:
        person = await self.ok("POST", "/end-users", json=end_user)
        return dict(await self.ok("POST", "/conversations", json={"endUserId": person["id"]}))

    async def agent(self, service_user_id: str = "agent-1", **fields: Any) -> dict[str, Any]:
        body = {"serviceUserId": service_user_id, "name": "Vadim Belorusov", **fields}
        return dict(await self.ok("POST", "/agents", json=body))


async def connect_console(services: Services, workspace_id: str, agent_id: str) -> None:
    """What an agent's console socket does as it opens (counted by presence): the agent is then `online`, unless
    their availability is `away`. For tests over the in-process client, which holds no websocket."""
    workspace = await services.db.read(workspace_repo.get_workspace, workspace_id)
    assert workspace is not None
    await presence.console_opened(services, workspace, agent_id)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://parley.test") as http:
        yield http


@pytest.fixture
async def api(client: httpx.AsyncClient, services: Services) -> Api:
    workspace, token = await create_workspace(services, "Acme")
    return Api(client, token, workspace.id)


@pytest.fixture
async def other_api(client: httpx.AsyncClient, services: Services) -> Api:
    """A second workspace on the same server, for isolation tests."""
    workspace, token = await create_workspace(services, "Rival")
    return Api(client, token, workspace.id)


@dataclass
class Parley:
    """One running Parley (an app with its lifespan entered) and a client of its External API."""

    services: Services
    client: httpx.AsyncClient

    def api(self, token: str, workspace_id: str) -> Api:
        return Api(self.client, token, workspace_id)

    async def new_workspace(self, name: str = "Acme") -> Api:
        workspace, token = await create_workspace(self.services, name)
        return self.api(token, workspace.id)


@asynccontextmanager
async def running_parley(settings: Settings) -> AsyncIterator[Parley]:
    """A fresh app over `settings`' database and data dir, as a started (or restarted) process would be."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://parley.test") as client,
    ):
        yield Parley(app.state.services, client)
