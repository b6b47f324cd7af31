"""Settings: the signing key generated at first start is one key, whatever number of processes start at once."""

from __future__ import annotations

import multiprocessing
import stat
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from pydantic import ValidationError

from parley.config import Settings

PROCESSES = 12
ROUNDS = 10


def _first_start(data_dir: Path, barrier: Barrier, keys: multiprocessing.Queue[str]) -> None:
    """A worker process starting without PARLEY_SECRET_KEY: all of them reach the key at the same moment."""
    settings = Settings(data_dir=data_dir, secret_key=None)
    barrier.wait()
    keys.put(settings.signing_key)


def test_processes_starting_at_once_without_a_secret_key_share_one_generated_key(tmp_path: Path) -> None:
    # Forked from a small server that has imported Parley's settings, not from this test run: forking a run grown
    # to gigabytes took 25 s for the 120 processes.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["parley.config", "tests.test_config"])
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"start-{round_number}"
        barrier, keys = context.Barrier(PROCESSES), context.Queue()
        workers = [context.Process(target=_first_start, args=(data_dir, barrier, keys)) for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        seen = [keys.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0

        key_file = data_dir / "secret_key"
        assert set(seen) == {key_file.read_text().strip()}, f"round {round_number}: {len(set(seen))} keys"
        assert len(seen[0]) >= 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [path.name for path in data_dir.iterdir()] == ["secret_key"], "no temporary file left behind"
        assert Settings(data_dir=data_dir, secret_key=None).signing_key == seen[0], "a later start reads it"


def test_trusted_proxies_are_networks_and_anything_else_is_refused() -> None:
    settings = Settings(trusted_proxies=" 10.0.0.7/8, 127.0.0.1 ,fd00::1/64")  # as the environment gives it
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1/32", "fd00::/64"]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValidationError, match=r"proxy\.example\.com"):
        Settings(trusted_proxies="10.0.0.1,proxy.example.com")
