"""`GET /metrics`: the Prometheus text format. Not in the OpenAPI schema (it is not JSON, and not part of the
contract); `docs/operations.md` describes it. With `PARLEY_METRICS_TOKEN` set, it wants `Authorization: Bearer
<that token>`; with `PARLEY_METRICS=false` there is no such route (404)."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from parley.api.errors import error_response
from parley.observability import metrics
from parley.services.context import Services

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    if not settings.metrics:
        return error_response(404, "not_found", "No such route.")
    if settings.metrics_token is not None:
        scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
        expected = settings.metrics_token.get_secret_value()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            return error_response(
                401,
                "unauthorized",
                "The metrics token is required as `Authorization: Bearer <token>`.",
                {"WWW-Authenticate": "Bearer"},
            )
    backlog: metrics.WebhookBacklog = request.app.state.webhook_backlog
    await backlog.update_gauges()
    body = metrics.render() if metrics.MULTIPROCESS_DIR is None else await asyncio.to_thread(metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
