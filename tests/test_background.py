"""Periodic background work: a failed round is logged and the next one still comes; stopping ends it."""

from __future__ import annotations

import asyncio

import pytest

from parley.background import Periodic


async def test_a_failed_round_is_logged_and_the_next_one_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[int] = []
    three_rounds = asyncio.Event()

    async def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OSError("disk unplugged")
        if len(rounds) == 3:
            three_rounds.set()

    periodic = Periodic("parley-test-job", 0.01, job)
    periodic.start()
    await asyncio.wait_for(three_rounds.wait(), timeout=5)
    await periodic.stop()
    stopped_at = len(rounds)
    await asyncio.sleep(0.05)  # five of its periods: a round still scheduled would have run by now
    assert len(rounds) == stopped_at
    assert "parley-test-job: a round failed (disk unplugged)" in caplog.text
