"""Rate limits: a burst gets 429 `rate_limited` with `Retry-After`, steady traffic under the limit gets none, each
kind of caller is counted apart, and two app instances on one Redis share one count (as `parley serve --workers N`
processes do). The limits are tiny here; the defaults are far above what an integrator sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from limits import parse_many

from parley.app import create_app
from parley.config import Settings
from parley.services import audit, workspaces
from parley.services.context import Services
from parley.services.rate_limits import ProcessMemoryStorage, RateLimits
from tests.support.databases import sqlite_url_from_template
from tests.support.live import free_port
from tests.support.redis import require_redis


@pytest.fixture
async def database_url(tmp_path: Path, sqlite_template_path: Path) -> AsyncIterator[str]:
    """The counting does not depend on the database: SQLite only."""
    yield sqlite_url_from_template(sqlite_template_path, tmp_path)


def client_of(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://parley.test")


def assert_refused(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["status"] == 429
    assert body["error"]["code"] == "rate_limited"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[tuple[FastAPI, Services, str]]:
    app = create_app(
        settings.model_copy(
            update={
                "rate_limit_api_token": "5/minute",
                "rate_limit_visitor": "3/minute",
                "rate_limit_agent_token": "2/minute",
                "rate_limit_session": "2/minute",
            }
        )
    )
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        _workspace, token = await workspaces.create_workspace(services, "Acme")
        yield app, services, token


async def test_a_burst_gets_429_with_retry_after(limited: tuple[FastAPI, Services, str]) -> None:
    app, services, token = limited
    async with client_of(app) as client:
        answers = await asyncio.gather(
            *(client.get("/api/external/v1/agents", headers={"Authorization": token}) for _ in range(8))
        )
        assert sorted(r.status_code for r in answers) == [200] * 5 + [429] * 3
        for refused in (r for r in answers if r.status_code == 429):
            assert_refused(refused)
        assert 'parley_rate_limited_total{limit="api_token"}' in (await client.get("/metrics")).text
        # another token of the same workspace has a count of its own
        workspace = (await workspaces.authenticate(services, token)).workspace
        _record, other = await workspaces.issue_token(services, workspace.id, "other", audit.CLI)
        assert (await client.get("/api/external/v1/agents", headers={"Authorization": other})).status_code == 200


async def test_steady_traffic_under_the_limit_is_never_refused(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_api_token": "10/second"}))
    async with app.router.lifespan_context(app), client_of(app) as client:
        _workspace, token = await workspaces.create_workspace(app.state.services, "Acme")
        statuses = []
        for _ in range(16):  # ~6.5 per second for 2.4 s: under 10/s in every window, across window edges
            statuses.append((await client.get("/api/external/v1/agents", headers={"Authorization": token})).status_code)
            await asyncio.sleep(0.15)
        assert set(statuses) == {200}


async def test_visitors_agents_and_anonymous_sessions_have_limits_of_their_own(
    limited: tuple[FastAPI, Services, str],
) -> None:
    app, services, token = limited
    async with client_of(app) as client:
        principal = await workspaces.authenticate(services, token)
        site_key = principal.workspace.site_key

        # anonymous sessions: per client address
        for _ in range(2):
            assert (await client.post("/api/widget/v1/session", json={"siteKey": site_key})).status_code == 200
        assert_refused(await client.post("/api/widget/v1/session", json={"siteKey": site_key}))
        async with client_of(app, "203.0.113.9") as elsewhere:
            session = await elsewhere.post("/api/widget/v1/session", json={"siteKey": site_key})
            assert session.status_code == 200
        visitor = {"Authorization": f"Bearer {session.json()['data']['endUser']['websocketToken']}"}
        # resuming with a token is not an anonymous session: not counted per address
        assert (await client.post("/api/widget/v1/session", headers=visitor)).status_code == 200

        # per visitor (the resume above was not counted: it goes through no visitor dependency)
        for _ in range(3):
            assert (await client.get("/api/widget/v1/messages", headers=visitor)).status_code == 200
        assert_refused(await client.get("/api/widget/v1/messages", headers=visitor))

        # per agent token
        agent = (
            await client.post(
                "/api/external/v1/agents", json={"serviceUserId": "a1", "name": "A"}, headers={"Authorization": token}
            )
        ).json()["data"]
        agent_token = (
            await client.post(f"/api/external/v1/agents/{agent['id']}/tokens", headers={"Authorization": token})
        ).json()["data"]["token"]
        console = {"Authorization": f"Bearer {agent_token}"}
        for _ in range(2):
            assert (await client.get("/api/agent/v1/conversations", headers=console)).status_code == 200
        assert_refused(await client.get("/api/agent/v1/conversations", headers=console))


async def test_two_app_instances_on_one_redis_share_the_count(settings: Settings) -> None:
    shared = settings.model_copy(update={"redis_url": require_redis(), "rate_limit_api_token": "4/minute"})
    async with AsyncExitStack() as stack:
        apps = [create_app(shared), create_app(shared)]  # two workers: one database, one Redis
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        _workspace, token = await workspaces.create_workspace(apps[0].state.services, "Acme")
        clients = [await stack.enter_async_context(client_of(app)) for app in apps]
        statuses = []
        for turn in range(6):
            response = await clients[turn % 2].get("/api/external/v1/agents", headers={"Authorization": token})
            statuses.append(response.status_code)
        assert statuses == [200, 200, 200, 200, 429, 429]  # one limit of 4, not 4 per instance

        # without Redis each instance counts alone
        alone = settings.model_copy(update={"rate_limit_api_token": "4/minute"})
        apart = [create_app(alone), create_app(alone)]
        for app in apart:
            await stack.enter_async_context(app.router.lifespan_context(app))
        clients = [await stack.enter_async_context(client_of(app)) for app in apart]
        counts = [0, 0]
        for turn in range(8):
            response = await clients[turn % 2].get("/api/external/v1/agents", headers={"Authorization": token})
            counts[turn % 2] += response.status_code == 200
        assert counts == [4, 4]


async def test_an_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    """The counters' outage must not become the API's: requests pass (and /readyz says Redis is down)."""
    app = create_app(
        settings.model_copy(
            update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "rate_limit_api_token": "1/minute"}
        )
    )
    services: Services = app.state.services
    try:
        _workspace, token = await workspaces.create_workspace(services, "Acme")
        async with client_of(app) as client:
            for _ in range(3):
                assert (
                    await client.get("/api/external/v1/agents", headers={"Authorization": token})
                ).status_code == 200
    finally:
        await services.rate_limits.close()
        await services.db.dispose()


def test_limits_are_validated_and_the_defaults_parse() -> None:
    with pytest.raises(ValueError, match="PARLEY_RATE_LIMIT_VISITOR"):
        RateLimits.build(Settings(rate_limit_visitor="lots"))
    for value in Settings().model_dump(include={"rate_limit_api_token", "rate_limit_visitor"}).values():
        assert parse_many(value)  # the defaults parse


async def test_an_empty_limit_means_none(settings: Settings) -> None:
    """`PARLEY_RATE_LIMIT_API_TOKEN=` (empty): one token's burst, far past any limit, is never refused."""
    app = create_app(settings.model_copy(update={"rate_limit_api_token": ""}))
    async with app.router.lifespan_context(app), client_of(app) as client:
        _workspace, token = await workspaces.create_workspace(app.state.services, "Acme")
        answers = await asyncio.gather(
            *(client.get("/api/external/v1/agents", headers={"Authorization": token}) for _ in range(100))
        )
    assert {response.status_code for response in answers} == {200}


async def test_the_in_process_storage_forgets_expired_counters() -> None:
    storage = ProcessMemoryStorage()
    assert await storage.incr("k", expiry=0.05) == 1
    assert await storage.incr("k", expiry=0.05) == 2
    await asyncio.sleep(0.06)  # the counter's expiry passes: the forgetting is what is tested
    assert await storage.get("k") == 0
    assert await storage.incr("k", expiry=10) == 1
    storage._sweep(now=1e12)
    assert storage.storage == {} and storage.expirations == {}
