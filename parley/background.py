"""Background tasks (the WAL checkpoints, the housekeeping rounds, the Redis listeners, a socket's sender): running
one every so often, and stopping one."""

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
