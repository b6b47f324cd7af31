"""Background tasks (the WAL checkpoints, the housekeeping rounds, the Redis listeners, a socket's sender): running
one every so often, stopping one, work a request starts without waiting for it (`Deferred`), and the loop of the
outbox workers that send what transactions left to send (`LeasedWorker`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from parley.clock import now_microseconds

log = logging.getLogger(__name__)

Claimed = TypeVar("Claimed")


async def cancel_and_wait(*tasks: asyncio.Task[None] | None) -> None:
    """Cancel, then wait until each has ended: its `finally` blocks have run once this returns."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Periodic:
    """`job` run at once, then every `seconds` until stopped. A failed round is logged; the next one tries again."""

    def __init__(self, name: str, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._seconds = seconds
        self._job = job
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._job()
            except Exception as exc:
                log.warning("%s: a round failed (%s); the next one tries again", self.name, exc)
            await asyncio.sleep(self._seconds)


class Deferred:
    """Work a request starts and does not wait for (a mail to send, a password reset to look up): the answer then
    neither waits on it nor tells by its time what the work found. A failure is logged; `close` lets what is still
    running finish, for a while, so a shutdown does not drop an invitation on the floor."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def run(self, name: str, work: Awaitable[None]) -> None:
        task = asyncio.create_task(self._logged(name, work), name=name)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self, seconds: float) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=seconds)

    @staticmethod
    async def _logged(name: str, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:
            log.warning("%s failed: %s", name, exc)


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the `attempts`-th failed try: base, 2*base, 4*base, ... at most `cap`, each scaled by
    a random factor in [0.5, 1] so that servers coming back up are not hit by every sender at once."""
    doubled = base * 2.0 ** min(attempts - 1, 62)
    return min(doubled, cap) * random.uniform(0.5, 1.0)


class LeasedWorker(ABC, Generic[Claimed]):
    """The loop of an outbox worker: every serving process runs one, and together they work off the due rows.

    A round leases up to `concurrency` free slots' worth of due rows (`claim`, in a write transaction: on
    PostgreSQL `FOR UPDATE SKIP LOCKED`, so no two processes lease one row), and works each in a task of its own
    outside any transaction (`attempt`, which records the outcome if the lease is still its own). The loop wakes when
    a commit created rows (`wake`), when a retry it scheduled falls due (`retry_at`), when an attempt ends that let
    another row go or frees a slot a due row waits for, and at least every `poll_seconds` (rows written by other
    processes, leases left behind by a crashed one). It claims only when woken: a claim that leased fewer rows than
    it asked for took all that were due, and one that filled every slot waits for a slot to free. (Claiming again
    after every claim and every attempt, as it did, cost three write transactions a webhook delivery where one
    does.) The webhook deliveries and the mail outbox are its two subclasses."""

    def __init__(self, name: str, concurrency: int, poll_seconds: float, stop_grace_seconds: float) -> None:
        self._name = name
        self._concurrency = concurrency
        self._poll_seconds = poll_seconds
        self._stop_grace_seconds = stop_grace_seconds
        self._doorbell = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[bool]] = set()
        self._soonest_us: int | None = None

    @abstractmethod
    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to `limit` due rows."""

    @abstractmethod
    async def attempt(self, claimed: Claimed) -> bool:
        """Work one leased row and record its outcome; True when its end let another row go (the next one of an
        ordered stream). Cancelled at shutdown (the row must then become due again)."""

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self._name)
        self.wake()

    async def stop(self) -> None:
        """Stop claiming; give attempts in flight a moment to finish, then cancel them."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        await self._task
        self._task = None
        if self._inflight:
            _, unfinished = await asyncio.wait(self._inflight, timeout=self._stop_grace_seconds)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)

    def wake(self) -> None:
        self._doorbell.set()

    def retry_at(self, due_us: int) -> None:
        """An attempt scheduled its row again for `due_us`: the loop wakes by then."""
        self._soonest_us = due_us if self._soonest_us is None else min(self._soonest_us, due_us)

    async def _run(self) -> None:
        while not self._stopping:
            self._doorbell.clear()
            free = self._concurrency - len(self._inflight)
            claimed: list[Claimed] = []
            if free > 0:
                try:
                    claimed = await self.claim(free)
                except Exception:
                    log.exception("%s: claiming failed; trying again shortly", self._name)
            for item in claimed:
                task = asyncio.create_task(self.attempt(item), name=self._name)
                self._inflight.add(task)
                task.add_done_callback(self._finished)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._doorbell.wait(), self._idle_seconds())

    def _idle_seconds(self) -> float:
        wait = self._poll_seconds
        if self._soonest_us is not None:
            until = (self._soonest_us - now_microseconds()) / 1_000_000
            if until <= 0:
                self._soonest_us = None
            wait = min(wait, max(until, 0.0))
        return wait

    def _finished(self, task: asyncio.Task[bool]) -> None:
        # Every slot was busy only after a claim that leased a row for each free one: more may be due.
        slots_were_full = len(self._inflight) == self._concurrency
        self._inflight.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            log.error("%s: an attempt failed", self._name, exc_info=task.exception())
            self.wake()  # what it left is the next claim's
        elif task.result() or slots_were_full:
            self.wake()
