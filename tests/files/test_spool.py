"""Spools a killed process left behind are swept; spools still being written, and anything else, are not."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from parley.config import Settings
from parley.files import spool
from parley.files.spool import Spool, sweep_abandoned
from tests.conftest import running_parley
from tests.support.waiting import eventually

TWO_HOURS = 2 * 3600


def left_behind(directory: Path, age_seconds: float, name: str = ".incoming-crashed.tmp") -> Path:
    """A file as a killed process would leave it: written, never removed, last touched `age_seconds` ago."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"half an upload")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


async def test_a_sweep_removes_only_spools_untouched_for_an_hour(tmp_path: Path) -> None:
    staging = tmp_path / ".incoming"
    abandoned = left_behind(staging, TWO_HOURS)
    recent = left_behind(staging, 60, ".incoming-recent.tmp")
    not_a_spool = left_behind(staging, TWO_HOURS, "operator-notes.txt")
    async with Spool(staging, 1024) as in_progress:
        await in_progress.write(b"arriving")
        assert sweep_abandoned(staging, time.time()) == 1
        spooled = await in_progress.finish()
        assert spooled.path.read_bytes() == b"arriving"
    assert not abandoned.exists()
    assert recent.exists() and not_a_spool.exists()
    assert sweep_abandoned(tmp_path / "never-created", time.time()) == 0


async def test_a_serving_parley_sweeps_what_a_killed_process_left(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool, "SWEEP_SECONDS", 0.05)
    async with running_parley(settings) as parley:
        staging = parley.services.files.staging_dir
        abandoned = left_behind(staging, TWO_HOURS)
        recent = left_behind(staging, 60, ".incoming-recent.tmp")
        await eventually(lambda: not abandoned.exists(), what="the abandoned spool to be swept")
        assert recent.exists()
