"""create_app(): the routers, the error envelopes, the body limit, and the lifespan of the long-lived parts."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from parley import __version__
from parley.api import agent, external, health, inbound, static, web, widget
from parley.api.body_limit import BodyLimit
from parley.api.errors import install_error_handlers
from parley.api.sockets import SocketHandler, SocketRoutes
from parley.config import Settings
from parley.observability import metrics
from parley.observability import routes as observability_routes
from parley.observability.middleware import RequestObserver
from parley.services import inbound_email
from parley.services.context import Services
from parley.services.workspaces import ensure_bootstrap_workspace


class ParleyApp(FastAPI):
    """FastAPI, with the websockets handed to their handlers before any middleware (`parley.api.sockets` says why)."""

    def route_sockets(self, services: Services, routes: Mapping[str, SocketHandler]) -> None:
        self._sockets = SocketRoutes(super().__call__, services, routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._sockets(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Each part is closed, the last started first, however the lifespan ends: a startup that fails after the
        # services started (the listener's port taken) closes them too, so no background task outlives it.
        async with AsyncExitStack() as started:
            await services.start()
            started.push_async_callback(services.close)
            if settings.bootstrap_token:
                await ensure_bootstrap_workspace(services, settings.bootstrap_token)
            listener = inbound_email.smtp_listener(services)  # mail in, when PARLEY_INBOUND_SMTP_PORT is set
            if listener is not None:
                await listener.start()
                started.push_async_callback(listener.stop)
            # What exists now (modules, routes, models: some 150,000 objects) lives as long as the process; frozen,
            # the collector stops walking it. Measured under load: a full collection took 60-100 ms, once a
            # second. Requests make short-lived objects in the thousands: young collections every 10,000
            # allocations, not 700. Not 50,000 either, nor the middle generation every 20 of them: with 10,000
            # sockets held, a young collection then paused the loop 20-70 ms and a middle one 480 ms, and the
            # realistic load's delivery p99 was 271 ms on SQLite; at 10,000 and 10, pauses of at most 21 and 88 ms,
            # p99 19.3 and 48.7 ms in two runs (on PostgreSQL with two workers the p99 swung 29-118 ms with either
            # setting), and the same send throughput (interleaved, 6 rounds: 0.626x against 0.618x the baseline
            # on SQLite, 0.453x against 0.430x on PostgreSQL). The price is memory: an idle socket costs 24 KiB
            # instead of 20 (`bench/realtime.py`, 1,000 sockets; 20,000 and 10 gave 23.5), some 43,000 a GiB.
            gc.collect()
            gc.freeze()
            gc.set_threshold(10_000, 10, 20)
            yield

    app = ParleyApp(
        title="Parley",
        version=__version__,
        summary="Self-hosted live chat, wire-compatible with the Blinger Widget API (external v1).",
        openapi_tags=[agent.TAG],
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    for router in external.routers:
        app.include_router(router, prefix=external.PREFIX)
    app.include_router(widget.router)
    for router in agent.routers:
        app.include_router(router)
    for router in agent.admin_routers:
        app.include_router(router, prefix=agent.PREFIX)
    app.include_router(inbound.router)
    app.include_router(health.router)
    app.include_router(static.router)
    app.include_router(observability_routes.router)  # GET /metrics
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_file_bytes,
        max_mail_bytes=settings.max_inbound_email_bytes,
    )
    web.install(app)
    metrics.configure(settings.metrics)
    app.state.webhook_backlog = metrics.WebhookBacklog(services.db, settings.metrics_backlog_seconds)
    app.add_middleware(RequestObserver, metrics_enabled=settings.metrics)  # outermost: request ids, metrics, logs
    app.route_sockets(services, {widget.SOCKET_PATH: widget.visitor_socket, agent.SOCKET_PATH: agent.agent_socket})
    return app
