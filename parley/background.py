"""Background tasks (the WAL checkpoints, the outbox pruner, the Redis listeners, a socket's sender): stopping one."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(*tasks: asyncio.Task[None] | None) -> None:
    """Cancel, then wait until each has ended: its `finally` blocks have run once this returns."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
