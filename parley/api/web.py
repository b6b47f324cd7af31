"""The browser side: the embeddable widget (`/widget.js`), the agent console (`/console`) and a demo page (`/demo`).

Plain files from `parley/web`, no build step: each answer carries an ETag (a conditional request gets 304) and the
widget may be cached briefly, since its URL never changes. Text files (scripts, styles, pages, SVG) go out gzipped to
browsers that accept it, compressed once per version of the file. The console's modules come from three folders:
its own, the core it shares with the widget (`/console/core/`) and the vendored component library
(`/console/vendor/`). The widget runs on other sites' pages, so the widget API answers their cross-origin requests
(CORS); who may use it is still decided by the workspace's `allowedOrigins`, checked by the widget API itself.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.api.deps import ServicesDep
from parley.errors import not_found
from parley.services.workspaces import DEMO_WORKSPACE
from parley.storage.repositories import workspaces as workspace_repo

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CONSOLE_DIR = WEB_DIR / "console"
CONSOLE_PAGES = frozenset({"invite", "reset"})  # `/console/invite#token=...`, `/console/reset#token=...`
# Where a console URL's file is looked for, by the first folder of its path: an import like `./core/api.js` from
# `/console/app.js` reaches the shared core, so the same modules run in the browser and under `node --test`.
CONSOLE_FOLDERS = {"core": WEB_DIR / "core", "vendor": WEB_DIR / "vendor"}
WIDGET_CACHE = "public, max-age=300"  # a fixed URL: browsers revalidate it (ETag) every five minutes
CONSOLE_CACHE = "no-cache"  # always revalidated, so an upgrade reaches agents at once
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
COMPRESSIBLE = {".js", ".css", ".html", ".svg"}
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
WIDGET_API = "/api/widget/v1/"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Encoding:
    """One representation of a file: its bytes as sent and the ETag naming exactly those bytes."""

    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Asset:
    content_type: str
    identity: Encoding
    gzipped: Encoding | None  # None for types that compression does not shrink (pictures)


_assets: dict[Path, tuple[float, Asset]] = {}


def _asset(path: Path) -> Asset:
    """Read and compressed once, and again only when the file changes (handy while editing it)."""
    mtime = path.stat().st_mtime
    known = _assets.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    gzipped = None
    if path.suffix in COMPRESSIBLE:
        # mtime=0: the same file always compresses to the same bytes, so every worker sends the same ETag for them
        gzipped = Encoding(gzip.compress(body, compresslevel=9, mtime=0), f'"{digest}-gzip"')
    asset = Asset(CONTENT_TYPES[path.suffix], Encoding(body, f'"{digest}"'), gzipped)
    _assets[path] = (mtime, asset)
    return asset


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` allows gzip: named, or through `*`, with a weight above zero."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _send(request: Request, asset: Asset, cache_control: str, **extra: str) -> Response:
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff", **extra}
    chosen = asset.identity
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"  # so that caches keep both representations apart
        if _accepts_gzip(request.headers.get("accept-encoding", "")):
            chosen = asset.gzipped
            headers["Content-Encoding"] = "gzip"
    headers["ETag"] = chosen.etag
    tags = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if tags & {chosen.etag, "*"}:
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(chosen.body))
        return Response(media_type=asset.content_type, headers=headers)
    return Response(chosen.body, media_type=asset.content_type, headers=headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget_script(request: Request) -> Response:
    return _send(request, _asset(WEB_DIR / "widget.js"), WIDGET_CACHE, **{"Access-Control-Allow-Origin": "*"})


@router.api_route("/console", methods=["GET", "HEAD"])
@router.api_route("/console/", methods=["GET", "HEAD"])
async def console_page(request: Request) -> Response:
    return _console_file(request, "index.html")


@router.api_route("/console/{name:path}", methods=["GET", "HEAD"])
async def console_asset(name: str, request: Request) -> Response:
    return _console_file(request, name)


def _console_file(request: Request, name: str) -> Response:
    if name.strip("/") in CONSOLE_PAGES:  # the invitation's and the reset's links land on the console itself
        name = "index.html"
    folder, _, rest = name.partition("/")
    root = CONSOLE_FOLDERS.get(folder)
    if root is None:
        root, rest = CONSOLE_DIR, name
    path = (root / rest).resolve()
    if not path.is_relative_to(root) or path.suffix not in CONTENT_TYPES or not path.is_file():
        raise not_found("File")
    headers = {"Content-Security-Policy": CONSOLE_CSP, "Referrer-Policy": "no-referrer"}
    return _send(request, _asset(path), CONSOLE_CACHE, **headers)


@router.api_route("/demo", methods=["GET", "HEAD"])
async def demo_page(request: Request, services: ServicesDep) -> Response:
    """A page that embeds the widget for the demo workspace (made by `parley demo`)."""
    workspace = await services.db.read(workspace_repo.get_workspace_by_name, DEMO_WORKSPACE)
    if workspace is None or not workspace.is_demo:
        raise not_found("Demo workspace (run `parley demo` first)")
    template = (WEB_DIR / "demo.html").read_text()
    page = template.replace("{{SITE_KEY}}", html.escape(workspace.site_key))
    return Response(page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


class WidgetCors:
    """CORS for the widget API: any page may call it (no cookies are involved: the visitor's token travels in the
    Authorization header), answered preflights included; the workspace's allowed origins are enforced by the API."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(WIDGET_API):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            preflight = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Authorization, Content-Type",
                    "Access-Control-Max-Age": "600",
                },
            )
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", b"Retry-After"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)


def install(app: FastAPI) -> None:
    """The pages and their CORS (outermost, so that every answer of the widget API carries it, refusals too)."""
    app.include_router(router)
    app.add_middleware(WidgetCors)
