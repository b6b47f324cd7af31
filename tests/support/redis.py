"""The Redis the cross-process tests need: always in CI; locally they skip, saying why, when none answers."""

from __future__ import annotations

import os

import pytest
import redis

REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); CI runs these tests")
    return REDIS_URL
