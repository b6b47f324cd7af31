"""Who is connected: how many console sockets each agent holds, across every process (`Presence`), and whether a
workspace has an agent online (`AgentsOnline`, the cached answer the bot's away message asks for).

With Redis the count is a shared counter (one per agent), so an agent connected to worker A and then to
worker B stays online while either socket is open; without it the count lives in this process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import redis.asyncio as redis
from cachetools import TTLCache

from parley.storage.database import Database
from parley.storage.records import NewEvent
from parley.storage.repositories import people as people_repo

KEY = "parley:presence:{agent_id}"
STATUS_CHANGED = "agent.status_changed"
CACHE_SIZE = 10_000


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


class AgentsOnline:
    """Whether some active agent of a workspace is online, cached per workspace.

    The away message needs this on every visitor message, the hot path, and the answer rarely changes: a cached
    answer costs no round trip. In this process every committed `agent.status_changed` clears the workspace's
    entry (`observe` is a publisher of the database, called after each commit), so a console opening or closing
    here is seen at once. Another process's status changes are not seen here: its entries simply expire after
    `ttl_seconds` (PARLEY_AGENTS_ONLINE_CACHE_SECONDS), which bounds how stale an answer can be. A generation
    counter keeps a query that raced with a status change from caching its outdated answer.
    """

    def __init__(self, ttl_seconds: float = 2.0) -> None:
        self._known: TTLCache[str, bool] = TTLCache(CACHE_SIZE, ttl=ttl_seconds)
        self._generation = 0

    def observe(self, events: Sequence[NewEvent]) -> None:
        for event in events:
            if event.name == STATUS_CHANGED:
                self._known.pop(event.workspace_id, None)
                self._generation += 1

    async def any_online(self, db: Database, workspace_id: str) -> bool:
        known = self._known.get(workspace_id)
        if known is not None:
            return known
        generation = self._generation
        online = await db.read(people_repo.any_agent_online, workspace_id)
        if generation == self._generation:
            self._known[workspace_id] = online
        return online
