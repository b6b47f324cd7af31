"""Rate limits: per API token, per agent token, per visitor, and per client address for anonymous widget sessions.

The algorithm is the `limits` library's sliding window counter: two counters per key (this window and the last,
the last one weighted by how much of it still overlaps), so no burst of twice the limit at a window's edge as
with a fixed window, and bounded memory, unlike an exact moving window that keeps a timestamp per request
(60,000 of them per busy token). With `PARLEY_REDIS_URL` the counters live in Redis (one atomic Lua script per
request, through redis-py's asyncio client), shared by every worker and every server: one limit, not one per
process. Without it they live in this process.

A refusal is the 429 envelope `rate_limited` with `Retry-After` (seconds). If Redis cannot be reached, requests
are let through (logged, at most every `COMPLAINT_SECONDS`): an outage of the counters must not become one of
the API; `/readyz` reports the Redis failure. After a failure Redis is not asked again for `BYPASS_SECONDS`, so a
Redis that stopped answering costs one timeout every few seconds, not one per request.

Limits are `PARLEY_RATE_LIMIT_*` settings in the `limits` notation: `600/minute`, `20/second;600/minute` (both
apply), or empty for no limit.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import redis.asyncio as redis
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from parley import clock
from parley.config import Settings
from parley.errors import ParleyError
from parley.observability import metrics

log = logging.getLogger(__name__)

API_TOKEN = "api_token"
AGENT_TOKEN = "agent_token"
VISITOR = "visitor"
SESSION_ADDRESS = "session_address"
SIGN_IN_EMAIL = "sign_in_email"
SIGN_IN_ADDRESS = "sign_in_address"
PASSWORD_RESET = "password_reset"
KEY_PREFIX = "parley:ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0
BYPASS_SECONDS = 5.0
COMPLAINT_SECONDS = 30.0
IPV6_PREFIX = 64

_WHO = {
    API_TOKEN: "API token",
    AGENT_TOKEN: "agent token",
    VISITOR: "visitor",
    SESSION_ADDRESS: "address starting anonymous sessions",
    SIGN_IN_EMAIL: "email (failed sign-ins)",
    SIGN_IN_ADDRESS: "address (failed sign-ins)",
    PASSWORD_RESET: "email (password resets)",
}


class ProcessMemoryStorage(MemoryStorage):
    """`limits`' in-process storage without its per-hit housekeeping.

    Upstream, every increment schedules an asyncio task that walks every key to drop expired ones (and takes a
    per-key asyncio lock): with thousands of visitors that is a scan of thousands of keys per request. On one
    event loop there is nothing to lock between a read and a write that no `await` separates, and reads already
    ignore expired counters, so here an increment is two dict operations and expired keys are swept at most once
    every `SWEEP_SECONDS`.
    """

    STORAGE_SCHEME = ["parley+memory"]  # noqa: RUF012 (declared so upstream)
    SWEEP_SECONDS: ClassVar[float] = 60.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = clock.now() + self.SWEEP_SECONDS

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = clock.now()
        if now >= self._next_sweep:
            self._sweep(now)
        if self.expirations.get(key, 0.0) <= now:
            self.expirations[key] = now + expiry
            self.storage[key] = amount
        else:
            self.storage[key] += amount
        return self.storage[key]

    async def decr(self, key: str, amount: int = 1) -> int:
        if self.expirations.get(key, 0.0) <= clock.now():
            return 0
        self.storage[key] = max(self.storage[key] - amount, 0)
        return self.storage[key]

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_SECONDS
        for key in [key for key, expires in self.expirations.items() if expires <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)


class RateLimits:
    def __init__(self, storage: Storage, limits: Mapping[str, list[RateLimitItem]], pool: redis.ConnectionPool | None):
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._limits = dict(limits)
        self._pool = pool
        self._complained_at = 0.0
        self._bypass_until = 0.0

    @classmethod
    def build(cls, settings: Settings) -> RateLimits:
        limits = {
            API_TOKEN: _parse("PARLEY_RATE_LIMIT_API_TOKEN", settings.rate_limit_api_token),
            AGENT_TOKEN: _parse("PARLEY_RATE_LIMIT_AGENT_TOKEN", settings.rate_limit_agent_token),
            VISITOR: _parse("PARLEY_RATE_LIMIT_VISITOR", settings.rate_limit_visitor),
            SESSION_ADDRESS: _parse("PARLEY_RATE_LIMIT_SESSION", settings.rate_limit_session),
            SIGN_IN_EMAIL: _parse("PARLEY_RATE_LIMIT_SIGN_IN_EMAIL", settings.rate_limit_sign_in_email),
            SIGN_IN_ADDRESS: _parse("PARLEY_RATE_LIMIT_SIGN_IN_ADDRESS", settings.rate_limit_sign_in_address),
            PASSWORD_RESET: _parse("PARLEY_RATE_LIMIT_PASSWORD_RESET", settings.rate_limit_password_reset),
        }
        if not settings.redis_url:
            return cls(ProcessMemoryStorage(), limits, None)
        pool = redis.ConnectionPool.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        shared: dict[str, Any] = {"connection_pool": pool}  # ours, so that `close` and `/readyz` can use it
        storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=KEY_PREFIX, **shared)
        return cls(storage, limits, pool)

    def redis(self) -> redis.Redis | None:
        """A client on the limiter's Redis pool (for `/readyz`), or None without Redis."""
        return None if self._pool is None else redis.Redis(connection_pool=self._pool)

    async def hit(self, limit: str, identity: str) -> None:
        """Count one request of `identity` (a token id, an end user id, an address) against `limit`, or refuse it."""
        await self._apply(limit, identity, count=True)

    async def check(self, limit: str, identity: str) -> None:
        """Refuse, as `hit` would, when `identity` has used up `limit`, without counting: for limits that count
        only what failed (sign-ins), counted afterwards with `hit`."""
        await self._apply(limit, identity, count=False)

    async def allows(self, limit: str, identity: str) -> bool:
        """Count one of `identity` against `limit`, answering whether it was within it instead of refusing: for
        what must answer alike either way (a password reset always answers 200)."""
        try:
            await self.hit(limit, identity)
        except ParleyError:
            return False
        return True

    async def _apply(self, limit: str, identity: str, count: bool) -> None:
        items = self._limits[limit]
        if not items or (self._bypass_until and time.monotonic() < self._bypass_until):
            return
        for item in items:
            try:
                allowed = await (self._limiter.hit if count else self._limiter.test)(item, limit, identity)
            except Exception as exc:  # Redis down or slow: let the request through
                self._complain(exc)
                return
            if not allowed:
                metrics.rate_limited(limit)
                retry_after = await self._retry_after(item, limit, identity)
                raise ParleyError(
                    429,
                    "rate_limited",
                    f"Too many requests: at most {item.amount} per {_window(item)} per {_WHO[limit]}. "
                    f"Try again in {retry_after} s.",
                    {"Retry-After": str(retry_after)},
                )

    async def hit_address(self, host: str | None) -> None:
        """Per client address (`host` as uvicorn reports it: from `X-Forwarded-For` only behind
        `PARLEY_TRUSTED_PROXIES`; None when the server was not told)."""
        await self.hit(SESSION_ADDRESS, "unknown" if host is None else address_key(host))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def _retry_after(self, item: RateLimitItem, limit: str, identity: str) -> int:
        try:
            stats = await self._limiter.get_window_stats(item, limit, identity)
        except Exception:
            return item.get_expiry()
        return max(1, min(item.get_expiry(), math.ceil(stats.reset_time - clock.now())))

    def _complain(self, exc: Exception) -> None:
        now = time.monotonic()
        self._bypass_until = now + BYPASS_SECONDS
        if now - self._complained_at >= COMPLAINT_SECONDS:
            self._complained_at = now
            log.warning("rate limits: the counters cannot be reached (%s); letting requests through", exc)


def address_key(host: str) -> str:
    """What a per-address limit counts: an IPv4 address, or an IPv6 address's /64. One IPv6 subscriber is usually
    given a whole /64 (2^64 addresses): counted one by one, a client would rotate past any limit."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (a test client's name, a unix socket): counted as it is
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def _parse(variable: str, value: str) -> list[RateLimitItem]:
    if not value.strip():
        return []
    try:
        return parse_many(value)
    except ValueError as exc:
        raise ValueError(f"{variable}={value!r} is not a rate limit like '600/minute': {exc}") from None


def _window(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return f"{item.multiples} {unit}s" if item.multiples != 1 else unit
