"""Who is connected: how many console sockets each agent holds, across every process.

With Redis the count is a shared counter (one per agent), so an agent connected to worker A and then to
worker B stays online while either socket is open; without it the count lives in this process.
"""

from __future__ import annotations

from collections import Counter

import redis.asyncio as redis

KEY = "parley:presence:{agent_id}"


class Presence:
    def __init__(self, redis_url: str | None = None) -> None:
        self._client = redis.Redis.from_url(redis_url) if redis_url else None
        self._local: Counter[str] = Counter()

    async def connected(self, agent_id: str) -> int:
        """Count a new socket; returns how many the agent now holds."""
        self._local[agent_id] += 1
        if self._client is None:
            return self._local[agent_id]
        return int(await self._client.incr(KEY.format(agent_id=agent_id)))

    async def disconnected(self, agent_id: str) -> int:
        self._local[agent_id] -= 1
        if self._local[agent_id] <= 0:
            del self._local[agent_id]
        if self._client is None:
            return self._local[agent_id]
        return max(0, int(await self._client.decr(KEY.format(agent_id=agent_id))))

    async def count(self, agent_id: str) -> int:
        if self._client is None:
            return self._local[agent_id]
        return max(0, int(await self._client.get(KEY.format(agent_id=agent_id)) or 0))

    async def close(self) -> None:
        """Give back this process's sockets so a restart leaves no agent online by mistake."""
        if self._client is not None:
            for agent_id, held in self._local.items():
                await self._client.decrby(KEY.format(agent_id=agent_id), held)
            await self._client.aclose()
        self._local.clear()
