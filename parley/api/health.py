"""Health checks for load balancers and orchestrators.

`/healthz`: the process answers (liveness). `/readyz`: the database answers a query and Redis, when configured,
a ping, each within `READY_TIMEOUT_SECONDS`; otherwise 503 `not_ready`, naming what failed (readiness).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from parley.api.deps import ServicesDep
from parley.api.errors import error_response
from parley.schemas import ErrorEnvelope
from parley.services.context import Services
from parley.storage.repositories.schema import ping

router = APIRouter(tags=["health"])

READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database (and Redis, when configured) answer",
    responses={503: {"model": ErrorEnvelope, "description": "Not ready: the message names what failed"}},
)
async def readyz(services: ServicesDep) -> object:
    database, redis = await asyncio.gather(_database(services), _redis(services))
    failed = [f"{name}: {problem}" for name, problem in (("database", database), ("redis", redis)) if problem]
    if failed:
        return error_response(503, "not_ready", "Not ready: " + "; ".join(failed) + ".")
    body = {"status": "ok", "database": "ok"}
    if services.settings.redis_url:
        body["redis"] = "ok"
    return body


async def _database(services: Services) -> str | None:
    """None when the database answered `SELECT 1`, else what went wrong (the exception's type, never its text)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await services.db.read(ping)
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure to reach the database means not ready
        return type(exc).__name__
    return None


async def _redis(services: Services) -> str | None:
    client = services.rate_limits.redis()
    if client is None:
        return None
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await client.ping()
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # refused, reset, auth, ...
        return type(exc).__name__
    finally:
        await client.aclose()
    return None
