"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn serving the real app.

One server and one browser per test module (their event loop is the module's), on SQLite: the browser is what is
under test here, the databases are covered elsewhere. Chromium comes from the system (`make test` installs the
`chromium` package when `/usr/bin/chromium` is missing); Playwright never downloads a browser of its own.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

import tests.support.live as live_support
from parley.app import create_app
from parley.config import Settings
from parley.services.context import Services
from parley.services.demo import ensure_demo_agent
from parley.services.workspaces import ensure_demo_workspace
from tests.support.databases import sqlite_url_from_template
from tests.support.live import free_port, live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"

# What one page does reaches the other through the server, the websocket and two renderers, all on two cores that
# the rest of a CI run may be loading: five seconds (the default) proved too short there once.
expect.set_options(timeout=15_000)


@dataclass
class WebServer:
    base: str
    services: Services
    site_key: str
    api_token: str
    agent_id: str
    agent_token: str

    @property
    def demo_url(self) -> str:
        return f"{self.base}/demo"

    @property
    def console_url(self) -> str:
        return f"{self.base}/console#token={self.agent_token}"


@asynccontextmanager
async def web_server(sqlite_template_path: Path, directory: Path, **changes: Any) -> AsyncIterator[WebServer]:
    """The demo workspace, its agent with a console token, served where the browser fetches files from too;
    `changes` to the settings (a module that needs mail on, say)."""
    port = free_port()
    settings = Settings(
        database_url=sqlite_url_from_template(sqlite_template_path, directory),
        data_dir=directory / "data",
        public_url=f"http://127.0.0.1:{port}",
        secret_key="web-test-secret-key-of-sufficient-length-0123456789",
        presence_grace_seconds=0.2,
        **changes,
    )
    app = create_app(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live_support, "free_port", lambda: port)  # so that files' URLs name this very server
        async with live_server(app) as base:
            services: Services = app.state.services
            workspace, api_token = await ensure_demo_workspace(services)
            agent, agent_token = await ensure_demo_agent(services, workspace)
            yield WebServer(base, services, workspace.site_key, api_token, agent.id, agent_token)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    async with web_server(sqlite_template_path, tmp_path_factory.mktemp("web")) as serving:
        yield serving


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


NewContext = Callable[..., Awaitable[BrowserContext]]


@pytest_asyncio.fixture(loop_scope="module")
async def new_context(browser: Browser) -> AsyncIterator[NewContext]:
    """Opens fresh browser profiles (own storage, own cookies), closed after the test."""
    opened: list[BrowserContext] = []
    errors: list[str] = []

    async def open_context(width: int = 1280, height: int = 800, **options: Any) -> BrowserContext:
        """`options`: Playwright's, such as `timezone_id="Asia/Tokyo"` and `locale="en-GB"`."""
        context = await browser.new_context(viewport={"width": width, "height": height}, **options)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        await context.close()
    assert errors == [], "uncaught errors in the pages' scripts"


def png(width: int, height: int) -> bytes:
    """A picture (a dusk-coloured gradient), so that screenshots show something photo-like."""
    ramp = Image.linear_gradient("L").resize((width, height))
    red = ramp.point(lambda v: 60 + v * 0.7)
    green = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: 90 + v * 0.4)
    blue = Image.new("L", (width, height), 190)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "PNG")
    return out.getvalue()


def screenshot_path(name: str, tmp_path: Path) -> Path:
    """Under docs/ when PARLEY_SCREENSHOTS=1 (to refresh the README's pictures), else with the test's files."""
    return DOCS / name if os.environ.get("PARLEY_SCREENSHOTS") == "1" else tmp_path / name
