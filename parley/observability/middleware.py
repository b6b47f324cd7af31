"""The request observer: pure ASGI (no BaseHTTPMiddleware on the hot path), outermost of Parley's middleware.

For each HTTP request it takes the client's `X-Request-ID` (sanitised, capped) or makes one, returns it on the
response, and once the response is sent observes the duration histogram (method, route template, status) and
writes the one access line (method, route template, status, duration in ms, request id, workspace id when an
authentication dependency found one). The route template is the path as declared (`/conversation/{id}/...`):
metrics stay bounded and no id, token or query string reaches a log line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.observability import metrics
from parley.observability.logging import ACCESS_LOGGER, access_record, request_id

WORKSPACE_KEY = "parley.workspace_id"
REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 64
UNMATCHED = "unmatched"
CLIENT_CLOSED = 499  # no response was sent: the client went away first (nginx's convention)
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._:\-]")
_CREDENTIAL_LIKE = ("plt_", "whsec_", "eyJ")


def note_workspace(scope: Scope, workspace_id: str) -> None:
    """Called by the authentication dependencies: the access line then names the workspace."""
    scope[WORKSPACE_KEY] = workspace_id


def client_request_id(raw: bytes) -> str | None:
    """The client's id if something is left of it once sanitised and capped (and it is not a credential)."""
    value = _UNSAFE_ID.sub("", raw[: MAX_REQUEST_ID * 2].decode("latin-1"))[:MAX_REQUEST_ID]
    if not value or value.startswith(_CREDENTIAL_LIKE):
        return None
    return value


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics_enabled: bool) -> None:
        self.app = app
        self.metrics_enabled = metrics_enabled
        self.log = logging.getLogger(ACCESS_LOGGER)
        self._templates: dict[int, str] = {}
        self._histograms: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid: str | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                rid = client_request_id(value)
                break
        if rid is None:
            rid = os.urandom(16).hex()
        header = (REQUEST_ID_HEADER, rid.encode())
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            if status == 0:
                status = CLIENT_CLOSED if isinstance(exc, asyncio.CancelledError) else 500
            raise
        finally:
            request_id.reset(token)
            self._observe(scope, status, time.perf_counter() - started, rid)

    def _observe(self, scope: Scope, status: int, seconds: float, rid: str) -> None:
        method: str = scope["method"]
        route = self._template(scope)
        if self.metrics_enabled:
            key = (method, route, status)
            histogram = self._histograms.get(key)
            if histogram is None:
                histogram = self._histograms[key] = metrics.REQUEST_DURATION.labels(method, route, str(status))
            histogram.observe(seconds)
        if self.log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": rid,
                "workspace_id": scope.get(WORKSPACE_KEY),
            }
            self.log.handle(access_record(fields))

    def _template(self, scope: Scope) -> str:
        """FastAPI's routes leave themselves in the scope (`route`), Starlette's (the docs pages) their `endpoint`."""
        found = scope.get("route") or scope.get("endpoint")
        if found is None:
            return UNMATCHED
        template = self._templates.get(id(found))
        if template is None:
            self._templates = _route_templates(scope["app"])
            template = self._templates.get(id(found)) or str(getattr(found, "path", UNMATCHED))
            self._templates[id(found)] = template
        return template


def _route_templates(app: Any) -> dict[int, str]:
    """Route (and endpoint) → its full path template. FastAPI's included routers keep the route's own path (without
    the router's prefix) on the route that reaches the scope; `iter_route_contexts` knows the full one."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes with their full path
        routes: list[Any] = [(route, route) for route in app.routes]
    else:
        routes = [(context.original_route, context) for context in iter_route_contexts(app.routes)]
    templates: dict[int, str] = {}
    for original, described in routes:
        path = getattr(described, "path", None)
        if path:
            templates[id(original)] = path
            endpoint = getattr(described, "endpoint", None)
            if endpoint is not None:
                templates.setdefault(id(endpoint), path)
    return templates
