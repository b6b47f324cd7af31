"""Background tasks (the WAL checkpoints, the housekeeping rounds, the Redis listeners, a socket's sender): running
one every so often, stopping one, and work a request starts without waiting for it (`Deferred`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


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
