"""Waiting for something to happen by asking again until it has, never by sleeping a fixed time.

A fixed sleep is a guess: on a loaded two-core CI machine it is too short now and then (a flaky failure), and
everywhere else it is longer than needed (a slow suite). Polling ends as soon as the thing has happened and waits
as long as `within` seconds when the machine is slow.

A check is a callable (for `eventually`, it may return an awaitable) that either asserts what it expects, or
returns False while the thing has not happened yet. Anything else it returns, None included, means it has; the
wait returns that value. A check that looks something up should assert it found it rather than return None.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")

WITHIN_SECONDS = 15.0
INTERVAL_SECONDS = 0.02


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    what: str = "",
    within: float = WITHIN_SECONDS,
    interval: float = INTERVAL_SECONDS,
) -> T:
    """`check`'s value once it passes; after `within` seconds of failing, its last AssertionError, explained.

    `what` names the awaited thing in that message (a lambda's name says nothing).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = check()
            value = cast(T, await answer if inspect.isawaitable(answer) else answer)
            assert value is not False, "the check answered False"
            return value
        except AssertionError as failure:
            if loop.time() >= deadline:
                waited_for = what or getattr(check, "__qualname__", repr(check))
                message = f"still not so after {within:g} s and {attempts} tries: {waited_for}: {failure}"
                raise AssertionError(message) from failure
        await asyncio.sleep(interval)


def wait_until(
    check: Callable[[], T],
    *,
    what: str = "",
    within: float = WITHIN_SECONDS,
    interval: float = INTERVAL_SECONDS,
) -> T:
    """`eventually` for a synchronous test (one with no running event loop): the same checks, the same message."""
    return asyncio.run(eventually(check, what=what, within=within, interval=interval))


async def polled(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    what: str = "",
    within: float = WITHIN_SECONDS,
    interval: float = INTERVAL_SECONDS,
) -> T:
    """What `fetch` answers once `done` accepts it: for reading something (an API's list) until it has changed."""

    async def check() -> T:
        found = await fetch()
        assert done(found), f"last seen: {found!r}"
        return found

    return await eventually(check, what=what, within=within, interval=interval)
