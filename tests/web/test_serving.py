"""How the widget, the console and the demo page are served, the widget API's CORS, and the demo's agent.

Files are fetched over real HTTP from the module's live server (`server`), as a browser fetches them: compression,
HEAD and conditional requests pass through uvicorn exactly as they do in production.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from parley.api.web import WEB_DIR
from parley.services.context import Services
from parley.services.demo import ensure_demo_agent
from parley.services.workspaces import ensure_demo_workspace
from tests.conftest import Api
from tests.web.conftest import WebServer
from tests.web.test_widget_bundle import WIDGET_GZIP_BUDGET

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
# Each served text file with the file it must be: the console's own, the shared core and the vendored library.
TEXT_ASSETS = {
    "/widget.js": WEB_DIR / "widget.js",
    "/console/": WEB_DIR / "console" / "index.html",
    "/console/app.js": WEB_DIR / "console" / "app.js",
    "/console/console.css": WEB_DIR / "console" / "console.css",
    "/console/core/timeline.js": WEB_DIR / "core" / "timeline.js",
    "/console/vendor/htm-preact/standalone.module.js": WEB_DIR / "vendor" / "htm-preact" / "standalone.module.js",
}
on_the_live_server = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def http(server: WebServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base) as client:
        yield client


async def raw(http: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as it travelled, still compressed (httpx would otherwise decode it)."""
    async with http.stream("GET", path, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


@on_the_live_server
async def test_the_widget_script_is_javascript_with_an_etag(http: httpx.AsyncClient) -> None:
    response = await http.get("/widget.js", headers=IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "content-encoding" not in response.headers
    etag = response.headers["etag"]
    assert response.content == (WEB_DIR / "widget.js").read_bytes()
    again = await http.get("/widget.js", headers={**IDENTITY, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert (await http.get("/widget.js", headers={**IDENTITY, "If-None-Match": '"stale"'})).status_code == 200


@on_the_live_server
async def test_the_widget_travels_gzipped_within_its_budget(http: httpx.AsyncClient) -> None:
    response, sent = await raw(http, "/widget.js", **GZIP)
    assert response.headers["content-encoding"] == "gzip"
    assert len(sent) == int(response.headers["content-length"]) < WIDGET_GZIP_BUDGET
    assert gzip.decompress(sent) == (WEB_DIR / "widget.js").read_bytes()


@on_the_live_server
async def test_text_assets_are_gzipped_for_browsers_that_accept_it(http: httpx.AsyncClient) -> None:
    for path, file in TEXT_ASSETS.items():
        plain, plain_body = await raw(http, path, **IDENTITY)
        packed, packed_body = await raw(http, path, **GZIP)
        assert plain.status_code == packed.status_code == 200, path
        assert "content-encoding" not in plain.headers and plain_body == file.read_bytes(), path
        assert packed.headers["content-encoding"] == "gzip", path
        assert gzip.decompress(packed_body) == plain_body and len(packed_body) < len(plain_body), path
        assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding", path
        assert plain.headers["etag"] != packed.headers["etag"], path
        assert packed.headers["cache-control"] == plain.headers["cache-control"], path
        refused, _ = await raw(http, path, **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused.headers and refused.headers["etag"] == plain.headers["etag"], path
        anything, _ = await raw(http, path, **{"Accept-Encoding": "br;q=1, *;q=0.5"})
        assert anything.headers["content-encoding"] == "gzip", path


@on_the_live_server
async def test_head_and_revalidation_answer_for_the_chosen_encoding(http: httpx.AsyncClient) -> None:
    packed, packed_body = await raw(http, "/console/app.js", **GZIP)
    head = await http.head("/console/app.js", headers=GZIP)
    assert head.status_code == 200 and head.content == b""
    for header in ("etag", "content-encoding", "content-type", "vary", "cache-control"):
        assert head.headers[header] == packed.headers[header], header
    assert int(head.headers["content-length"]) == len(packed_body)
    plain_head = await http.head("/console/app.js", headers=IDENTITY)
    assert int(plain_head.headers["content-length"]) == (WEB_DIR / "console" / "app.js").stat().st_size

    gzip_etag, plain_etag = packed.headers["etag"], plain_head.headers["etag"]
    fresh = await http.get("/console/app.js", headers={**GZIP, "If-None-Match": gzip_etag})
    assert fresh.status_code == 304 and fresh.content == b""
    assert fresh.headers["etag"] == gzip_etag and fresh.headers["vary"] == "Accept-Encoding"
    # A validator of the other representation does not stand for this one: the browser gets the bytes it asked for.
    other = await http.get("/console/app.js", headers={**GZIP, "If-None-Match": plain_etag})
    assert other.status_code == 200 and other.headers["etag"] == gzip_etag
    head_fresh = await http.head("/console/app.js", headers={**IDENTITY, "If-None-Match": plain_etag})
    assert head_fresh.status_code == 304


@on_the_live_server
async def test_the_console_and_its_modules_are_served_with_a_strict_policy(http: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/"):
        page = await http.get(path)
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-cache" and page.headers["etag"]
    modules = {
        "app.js": "text/javascript",
        "console.css": "text/css",
        "views/thread.js": "text/javascript",
        "core/api.js": "text/javascript",
        "vendor/htm-preact/standalone.module.js": "text/javascript",
    }
    for asset, kind in modules.items():
        response = await http.get(f"/console/{asset}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), asset
        assert "script-src 'self'" in response.headers["content-security-policy"], asset
        assert response.headers["cache-control"] == "no-cache", asset
    missing = (
        "/console/nothing.js",
        "/console/..%2fwidget.js",
        "/console/%2e%2e/demo.html",
        "/console/x.py",
        "/console/core/..%2f..%2fwidget.js",
        "/console/core/..%2fconsole%2fapp.js",
        "/console/vendor/%2e%2e/%2e%2e/demo.html",
        "/console/vendor/..%2fconsole%2fapp.js",
        "/console/vendor/htm-preact/README.md",
        "/console/vendor/htm-preact/LICENSE-htm",
        "/console/vendor",
    )
    for path in missing:
        response = await http.get(path)
        assert response.status_code == 404, path
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
