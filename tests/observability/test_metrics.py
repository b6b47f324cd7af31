"""`GET /metrics`: each metric the operations guide promises moves when the thing it counts happens.

The registry is the process's own, shared by every test: each test reads a sample before and after.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import generate_latest
from pydantic import SecretStr
from sqlalchemy import Engine, event

from parley.app import create_app
from parley.config import Settings
from parley.observability import metrics
from parley.services import workspaces
from parley.services.context import Services
from tests.conftest import Api
from tests.observability.conftest import sample, scrape
from tests.support.live import free_port, live_server, open_socket
from tests.support.waiting import polled

REQUESTS = "parley_http_request_duration_seconds_count"
SEND = "/api/external/v1/conversation/{id}/send-text-message"


async def test_requests_are_counted_by_route_template_method_and_status(api: Api, client: httpx.AsyncClient) -> None:
    conversation = await api.conversation()
    before = await scrape(client)
    path = f"/conversation/{conversation['id']}/send-text-message"
    await api.ok("POST", path, json={"uuid": "m1", "text": "hello"})
    assert (await api.call("POST", path, json={"uuid": "m1", "text": "not the same"})).status_code == 409
    await client.get("/no/such/route/4f1c2e")
    await client.get("/openapi.json")  # a plain Starlette route: its template too
    after = await scrape(client)

    def moved(**labels: str) -> float:
        return sample(after, REQUESTS, **labels) - sample(before, REQUESTS, **labels)

    assert moved(method="POST", route=SEND, status="200") == 1
    assert moved(method="POST", route=SEND, status="409") == 1
    assert moved(method="GET", route="unmatched", status="404") == 1
    assert moved(method="GET", route="/openapi.json", status="200") == 1
    assert conversation["id"] not in after, "a label carries an id: route templates keep metrics bounded"
    bucket = sample(after, "parley_http_request_duration_seconds_bucket", route=SEND, status="200", le="+Inf")
    assert bucket >= 1


async def test_messages_by_type_writer_batches_and_events(api: Api, client: httpx.AsyncClient) -> None:
    conversation = await api.conversation()
    agent = await api.agent()
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})
    before = await scrape(client)
    await asyncio.gather(
        *(api.ok("POST", f"{path}/send-text-message", json={"uuid": f"u{i}", "text": "hi"}) for i in range(5))
    )
    await api.ok("POST", f"{path}/request-review")
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("parley_messages_stored_total", type="text") == 5
    assert moved("parley_messages_stored_total", type="review") == 1  # written in a transaction of its own
    assert moved("parley_write_batch_size_sum") == 5  # the writer's batches held the five texts
    assert 1 <= moved("parley_write_batch_size_count") <= 5
    assert moved("parley_write_commit_seconds_count") == moved("parley_write_batch_size_count")
    assert moved("parley_write_commit_seconds_sum") > 0
    assert moved("parley_events_published_total", event="message.created") == 6
    assert moved("parley_events_published_total", event="review.requested") >= 1


async def test_open_websockets_are_counted_by_kind(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"presence_grace_seconds": 0.1}))
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        services: Services = app.state.services
        workspace, token = await workspaces.create_workspace(services, "Acme")
        api = Api(http, token, workspace.id)
        agent = await api.agent()
        agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
        session = (await http.post("/api/widget/v1/session", json={"siteKey": workspace.site_key})).json()["data"]
        ws = base.replace("http", "ws", 1)

        async def gauge(kind: str) -> float:
            return sample(await scrape(http), "parley_websocket_connections", kind=kind)

        visitors, agents = await gauge("visitor"), await gauge("agent")
        async with (
            open_socket(f"{ws}/api/widget/v1/ws?token={session['endUser']['websocketToken']}"),
            open_socket(f"{ws}/api/agent/v1/ws?token={agent_token}"),
        ):
            await polled(lambda: gauge("visitor"), lambda v: v == visitors + 1)
            await polled(lambda: gauge("agent"), lambda v: v == agents + 1)
        await polled(lambda: gauge("visitor"), lambda v: v == visitors)
        await polled(lambda: gauge("agent"), lambda v: v == agents)


async def test_webhook_outcomes_and_the_age_of_the_oldest_undelivered_event(
    api: Api, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    # 127.0.0.1 is allow-listed in the test settings; nothing listens on this port: every attempt fails
    await api.ok("PUT", "/webhook", json={"url": f"http://127.0.0.1:{free_port()}/hook"})
    await api.conversation()

    async def retries() -> float:
        return sample(await scrape(client), "parley_webhook_deliveries_total", outcome="retry")

    baseline = sample(before, "parley_webhook_deliveries_total", outcome="retry")
    await polled(retries, lambda count: count >= baseline + 1)
    after = await polled(  # the undelivered event ages while its retries keep failing
        lambda: scrape(client), lambda now: sample(now, "parley_webhook_oldest_undelivered_age_seconds") >= 1.0
    )
    assert sample(after, "parley_webhook_pending_deliveries") >= 1


async def test_a_scrape_flood_reads_the_webhook_backlog_once_per_bound(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_backlog_seconds": 60.0}))
    backlog_reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "min(webhook_deliveries.window_start_us)" in statement:
            backlog_reads.append(statement)

    async with live_server(app) as base, httpx.AsyncClient(base_url=base) as http:
        event.listen(Engine, "before_cursor_execute", record)  # every engine: the database's are its own
        try:
            await asyncio.gather(*(scrape(http) for _ in range(10)))  # at once
            for _ in range(20):  # one after the other
                exposition = await scrape(http)
        finally:
            event.remove(Engine, "before_cursor_execute", record)

    assert len(backlog_reads) == 1
    assert "parley_webhook_pending_deliveries 0.0" in exposition


async def test_fetches_refused_by_reason(api: Api, client: httpx.AsyncClient) -> None:
    conversation = await api.conversation()
    before = await scrape(client)
    path = f"/conversation/{conversation['id']}/send-file-message"
    refused = await api.call("POST", path, json={"uuid": "f1", "file": "http://10.1.2.3/secret.png"})
    assert refused.json()["error"]["code"] == "fetch_forbidden"
    refused = await api.call("POST", path, json={"uuid": "f2", "file": "ftp://example.com/a.png"})
    assert refused.json()["error"]["code"] == "unsupported_url"
    webhook = await api.call("PUT", "/webhook", json={"url": "http://169.254.169.254/latest"})
    assert webhook.json()["error"]["code"] == "fetch_forbidden"
    after = await scrape(client)

    def moved(reason: str) -> float:
        name = "parley_fetches_refused_total"
        return sample(after, name, reason=reason) - sample(before, name, reason=reason)

    assert (moved("private"), moved("unsupported_url"), moved("metadata")) == (1, 1, 1)


@pytest.fixture
def protected(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": SecretStr("scrape-token-0123456789")})


async def test_the_metrics_token_is_required_as_a_bearer_token(protected: Settings) -> None:
    app = create_app(protected)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://parley.test") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-token-0123456789"}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthorized"
            assert refused.headers["www-authenticate"] == "Bearer"
        assert "parley_http_request_duration_seconds" in await scrape(
            client, Authorization="Bearer scrape-token-0123456789"
        )


async def test_metrics_off_means_no_route_and_no_counting(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics": False}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://parley.test") as client:
            refused = await client.get("/metrics")
            assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
            before = sample(generate_latest().decode(), REQUESTS, route="/healthz", status="200")
            assert (await client.get("/healthz")).status_code == 200
            assert sample(generate_latest().decode(), REQUESTS, route="/healthz", status="200") == before
            assert not metrics.enabled()
    finally:
        metrics.configure(True)


def test_metrics_are_not_in_the_openapi_document(app: FastAPI) -> None:
    document: dict[str, Any] = app.openapi()
    assert "/metrics" not in document["paths"]
