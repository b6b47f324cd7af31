"""How the widget, the console and the demo page are served, the widget API's CORS, and the demo's agent."""

from __future__ import annotations

import gzip

import httpx

from parley.api.web import WEB_DIR
from parley.services.context import Services
from parley.services.demo import ensure_demo_agent
from parley.services.workspaces import ensure_demo_workspace
from tests.conftest import Api

WIDGET_GZIP_BUDGET = 12 * 1024


async def test_the_widget_script_is_javascript_with_an_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    assert response.content == (WEB_DIR / "widget.js").read_bytes()
    again = await client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert (await client.get("/widget.js", headers={"If-None-Match": '"stale"'})).status_code == 200


def test_the_widget_stays_small() -> None:
    assert len(gzip.compress((WEB_DIR / "widget.js").read_bytes(), 9)) < WIDGET_GZIP_BUDGET


async def test_the_console_and_its_modules_are_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/"):
        page = await client.get(path)
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-cache" and page.headers["etag"]
    for asset, kind in (("app.js", "text/javascript"), ("api.js", "text/javascript"), ("console.css", "text/css")):
        response = await client.get(f"/console/{asset}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), asset
    for missing in ("/console/nothing.js", "/console/..%2fwidget.js", "/console/%2e%2e/demo.html", "/console/x.py"):
        response = await client.get(missing)
        assert response.status_code == 404, missing
        assert response.json()["error"]["code"] == "not_found"


async def test_the_demo_page_embeds_the_demo_workspaces_widget(client: httpx.AsyncClient, services: Services) -> None:
    missing = await client.get("/demo")
    assert missing.status_code == 404 and "parley demo" in missing.json()["error"]["message"]
    workspace, _ = await ensure_demo_workspace(services)
    page = await client.get("/demo")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<script src="/widget.js" data-site-key="{workspace.site_key}" async></script>' in page.text


async def test_the_demo_agent_gets_a_fresh_console_token_each_time(
    client: httpx.AsyncClient, services: Services
) -> None:
    workspace, _ = await ensure_demo_workspace(services)
    agent, first = await ensure_demo_agent(services, workspace)
    again, second = await ensure_demo_agent(services, workspace)
    assert again.id == agent.id and first != second

    async def me(token: str) -> httpx.Response:
        return await client.get("/api/agent/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert (await me(first)).status_code == 401
    signed_in = await me(second)
    assert signed_in.status_code == 200 and signed_in.json()["data"]["name"] == "Demo Agent"


async def test_the_widget_api_answers_other_origins(client: httpx.AsyncClient, api: Api) -> None:
    origin = {"Origin": "https://shop.example"}
    preflight = await client.options(
        "/api/widget/v1/messages",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    refused = await client.post("/api/widget/v1/session", json={"siteKey": "nope"}, headers=origin)
    assert refused.status_code == 404 and refused.headers["access-control-allow-origin"] == "*"
    # Same-origin calls and the other APIs are untouched.
    assert "access-control-allow-origin" not in (await client.post("/api/widget/v1/session", json={})).headers
    other = await client.get("/api/external/v1/agents", headers={**origin, **api.headers})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
