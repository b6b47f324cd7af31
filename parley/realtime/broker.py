"""Fan-out across processes. Without Redis, one process serves every socket and the hub is enough; with
`PARLEY_REDIS_URL`, every committed (or ephemeral) event is also published on a Redis channel, and each
process hands what the others published to its own hub. The database stays the truth: a socket that missed
a live event (a Redis hiccup) gets it back by resuming from its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Protocol

import redis.asyncio as redis

from parley.background import cancel_and_wait
from parley.storage.records import NewEvent

log = logging.getLogger(__name__)

CHANNEL = "parley:events"
Deliver = Callable[[Sequence[NewEvent]], None]


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    def publish(self, events: Sequence[NewEvent]) -> None: ...

    async def close(self) -> None: ...


class LocalBroker:
    """One process: nothing to forward."""

    async def start(self, deliver: Deliver) -> None:
        return None

    def publish(self, events: Sequence[NewEvent]) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBroker:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._origin = uuid.uuid4().hex
        self._outbox: asyncio.Queue[list[NewEvent]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, deliver: Deliver) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub, deliver), name="parley-redis-listen"),
            asyncio.create_task(self._send(), name="parley-redis-send"),
        ]

    def publish(self, events: Sequence[NewEvent]) -> None:
        """Called after commit on the event loop: queue, never block the caller on Redis."""
        self._outbox.put_nowait(list(events))

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

    async def _listen(self, pubsub: redis.client.PubSub, deliver: Deliver) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    body = json.loads(message["data"])
                    if body["origin"] != self._origin:
                        deliver([NewEvent(**e) for e in body["events"]])
            except redis.RedisError as exc:
                log.warning("Redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(1)
                with contextlib.suppress(redis.RedisError):
                    await pubsub.subscribe(CHANNEL)


def build_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else LocalBroker()
