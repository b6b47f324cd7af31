"""The shared lookups behind the token, end-user and conversation caches."""

from __future__ import annotations

import asyncio

import pytest

from parley.services.lookups import SharedLookups


async def test_concurrent_misses_of_one_key_share_one_lookup() -> None:
    lookups: SharedLookups[str, str] = SharedLookups(10, ttl=60)
    calls = 0
    release = asyncio.Event()

    async def load() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "workspace-1"

    waiting = [asyncio.create_task(lookups.get("token", load)) for _ in range(32)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == ["workspace-1"] * 32
    assert calls == 1
    assert await lookups.get("token", load) == "workspace-1"
    assert calls == 1


async def test_nothing_found_and_failures_are_asked_again() -> None:
    lookups: SharedLookups[str, str] = SharedLookups(10, ttl=60)
    answers: list[str | None] = [None, "found"]

    async def load() -> str | None:
        return answers.pop(0)

    assert await lookups.get("key", load) is None
    await asyncio.sleep(0)  # the settled callback runs
    assert await lookups.get("key", load) == "found"

    async def broken() -> str:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        await lookups.get("other", broken)
    await asyncio.sleep(0)

    async def fine() -> str:
        return "back"

    assert await lookups.get("other", fine) == "back"


async def test_one_caller_giving_up_does_not_cancel_the_others_lookup() -> None:
    lookups: SharedLookups[str, str] = SharedLookups(10)
    release = asyncio.Event()

    async def load() -> str:
        await release.wait()
        return "value"

    impatient = asyncio.create_task(lookups.get("key", load))
    patient = asyncio.create_task(lookups.get("key", load))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == "value"


async def test_entries_expire_and_can_be_forgotten() -> None:
    lookups: SharedLookups[str, str] = SharedLookups(10, ttl=0.05)
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        return f"workspace-{loads}"

    assert await lookups.get("a", load) == "workspace-1"
    await asyncio.sleep(0.06)
    assert await lookups.get("a", load) == "workspace-2"
    lookups.forget_where(lambda value: value == "workspace-2")
    assert await lookups.get("a", load) == "workspace-3"
    lookups.forget("a")
    assert await lookups.get("a", load) == "workspace-4"
