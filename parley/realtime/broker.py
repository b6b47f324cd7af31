"""Fan-out across processes. Without Redis, one process serves every socket and the hub is enough; with
`PARLEY_REDIS_URL`, every committed (or ephemeral) event is also published on a Redis channel, and each
process hands what the others published to its own hub. The database stays the truth: a socket that missed
a live event (a Redis hiccup) gets it back by resuming from its cursor.

The same link carries invalidations, on a channel of their own: cached facts a change made untrue (a revoked
token, a deactivated agent, an erased end user, purged conversations). They are published before the change is
answered, from a server or from a `parley` command, so every process drops them before the caller's next request.
Were one lost (Redis away), the caches' time limit (`PARLEY_TOKEN_CACHE_SECONDS`) still ends the stale entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import redis.asyncio as redis

from parley.background import cancel_and_wait
from parley.storage.records import NewEvent

log = logging.getLogger(__name__)

CHANNEL = "parley:events"
INVALIDATIONS = "parley:invalidations"


@dataclass(frozen=True, slots=True)
class Invalidation:
    """What stopped being true, by id: every process drops it from its caches, and closes the sockets opened with a
    revoked token or by a deactivated agent."""

    token_ids: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    workspace_ids: tuple[str, ...] = ()
    end_user_ids: tuple[str, ...] = ()
    conversation_ids: tuple[str, ...] = ()


Deliver = Callable[[Sequence[NewEvent]], None]
Forget = Callable[[Invalidation], None]


class Broker(Protocol):
    async def start(self, deliver: Deliver, forget: Forget) -> None: ...

    def publish(self, events: Sequence[NewEvent]) -> None: ...

    async def invalidate(self, invalidation: Invalidation) -> None:
        """Tell every other process; returns once sent, so the change is answered only after."""

    async def close(self) -> None: ...


class LocalBroker:
    """One process: nothing to forward."""

    async def start(self, deliver: Deliver, forget: Forget) -> None:
        return None

    def publish(self, events: Sequence[NewEvent]) -> None:
        return None

    async def invalidate(self, invalidation: Invalidation) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBroker:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._origin = uuid.uuid4().hex
        self._outbox: asyncio.Queue[list[NewEvent]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, deliver: Deliver, forget: Forget) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL, INVALIDATIONS)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub, deliver, forget), name="parley-redis-listen"),
            asyncio.create_task(self._send(), name="parley-redis-send"),
        ]

    def publish(self, events: Sequence[NewEvent]) -> None:
        """Called after commit on the event loop: queue, never block the caller on Redis."""
        self._outbox.put_nowait(list(events))

    async def invalidate(self, invalidation: Invalidation) -> None:
        """Awaited, unlike `publish`: a revocation is answered once every process can know of it."""
        body = json.dumps({"origin": self._origin, "invalidation": asdict(invalidation)})
        try:
            await self._client.publish(INVALIDATIONS, body)
        except redis.RedisError as exc:
            log.warning("could not publish an invalidation to Redis (%s): other processes wait out their caches", exc)

    async def close(self) -> None:
        await cancel_and_wait(*self._tasks)
        await self._client.aclose()

    async def _send(self) -> None:
        while True:
            events = await self._outbox.get()
            body = json.dumps({"origin": self._origin, "events": [asdict(e) for e in events]})
            try:
                await self._client.publish(CHANNEL, body)
            except redis.RedisError as exc:
                log.warning("could not publish %d events to Redis: %s", len(events), exc)

    async def _listen(self, pubsub: redis.client.PubSub, deliver: Deliver, forget: Forget) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    self._receive(message, deliver, forget)
            except redis.RedisError as exc:
                log.warning("Redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(1)
                with contextlib.suppress(redis.RedisError):
                    await pubsub.subscribe(CHANNEL, INVALIDATIONS)

    def _receive(self, message: dict[str, Any], deliver: Deliver, forget: Forget) -> None:
        """One message. One this process cannot read (another version's, during a rolling upgrade) is logged and
        skipped: it must not end the subscription, or this process would hear of nothing any more."""
        try:
            body = json.loads(message["data"])
            if body["origin"] == self._origin:
                return
            if message["channel"] == INVALIDATIONS.encode():
                forget(Invalidation(**{key: tuple(ids) for key, ids in body["invalidation"].items()}))
            else:
                deliver([NewEvent(**e) for e in body["events"]])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("skipped a Redis message this process cannot read (%s: %s)", type(exc).__name__, exc)


def build_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else LocalBroker()
