"""Caches of the lookups requests repeat (tokens, end users, workspaces, conversations, a visitor's latest one).

Each entry is the lookup itself, not only its value, so concurrent misses of one key share one query, as Synapse's
`DeferredCache` does. Without that, an entry expiring under load sent one query per request in flight: with 32
clients sending, a stall of up to a second every `PARLEY_TOKEN_CACHE_SECONDS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from functools import partial
from typing import Generic, TypeVar

from cachetools import LRUCache, TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLookups(Generic[K, V]):
    """Values by key, loaded once however many ask at the same moment; `ttl` None keeps them until evicted."""

    def __init__(self, maxsize: int, ttl: float | None = None) -> None:
        self._entries: MutableMapping[K, asyncio.Future[V | None]] = (
            LRUCache(maxsize) if ttl is None else TTLCache(maxsize, ttl)
        )

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached value, else `load()`'s. A None (nothing found) or a failure is not kept: the next asks again."""
        entry = self._entries.get(key)
        if entry is None:
            entry = asyncio.ensure_future(load())
            self._entries[key] = entry
            entry.add_done_callback(partial(self._settled, key))
        if entry.done():
            return entry.result()
        return await asyncio.shield(entry)  # one caller going away does not cancel the others' lookup

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def forget_where(self, stale: Callable[[V], bool]) -> None:
        """Drop the settled values `stale` picks, and every lookup still in flight (it may have read old rows)."""
        for key, entry in list(self._entries.items()):
            settled = entry.done() and not entry.cancelled() and entry.exception() is None
            value = entry.result() if settled else None
            if value is None or stale(value):
                self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def _settled(self, key: K, entry: asyncio.Future[V | None]) -> None:
        failed_or_empty = entry.cancelled() or entry.exception() is not None or entry.result() is None
        if failed_or_empty and self._entries.get(key) is entry:
            del self._entries[key]
