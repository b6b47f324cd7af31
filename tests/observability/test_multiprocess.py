"""Metrics under `parley serve --workers N`: prometheus-client's multiprocess mode, a fresh directory per start,
every worker's counts added up in each scrape, and a dead worker's live gauges dropped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from parley.observability import metrics
from tests.observability.conftest import sample
from tests.support.live import free_port
from tests.support.redis import require_redis
from tests.support.waiting import wait_until

HEALTHZ = {"method": "GET", "route": "/healthz", "status": "200"}
REQUESTS = "parley_http_request_duration_seconds_count"


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_several_workers_get_a_fresh_directory_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "")  # recorded: the variable is restored (or removed) afterwards
    monkeypatch.delenv(metrics.MULTIPROC_ENV)
    assert metrics.prepare_multiprocess_dir(1) is None
    assert metrics.MULTIPROC_ENV not in os.environ
    created = metrics.prepare_multiprocess_dir(3)
    assert created is not None and created.is_dir() and not any(created.iterdir())
    assert os.environ[metrics.MULTIPROC_ENV] == str(created)
    created.rmdir()


def test_a_configured_directory_is_emptied_of_other_processes_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    stale = tmp_path / "metrics" / "counter_4242.db"
    own = tmp_path / "metrics" / f"histogram_{os.getpid()}.db"
    stale.write_bytes(b"left by an earlier run")
    own.write_bytes(b"this process's own (one worker, served in-process)")
    assert metrics.prepare_multiprocess_dir(2) is None  # the operator's directory is kept, not replaced
    assert not stale.exists() and own.exists()


def test_dead_workers_live_gauges_are_swept_and_their_counters_kept(tmp_path: Path) -> None:
    gone, alive = dead_pid(), os.getpid()
    files = [
        tmp_path / f"gauge_livesum_{gone}.db",
        tmp_path / f"gauge_livemostrecent_{gone}.db",
        tmp_path / f"counter_{gone}.db",
        tmp_path / f"gauge_livesum_{alive}.db",
    ]
    for path in files:
        path.write_bytes(b"")
    assert metrics.sweep_dead_workers(str(tmp_path)) == [gone]
    assert [path.exists() for path in files] == [False, False, True, True]


@pytest.fixture
def two_workers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`parley serve --workers 2` on PostgreSQL and Redis, with an operator-set metrics directory holding a stale
    file."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_4242.db").write_bytes(b"garbage a scrape would choke on")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env |= {
        "PARLEY_DATABASE_URL": postgres_url,
        "PARLEY_REDIS_URL": require_redis(),
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PARLEY_SECRET_KEY": "multiprocess-test-key-0123456789abcdef",
        metrics.MULTIPROC_ENV: str(directory),
    }
    command = [sys.executable, "-m", "parley.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_worker_pids(process, directory)) < 2 or not _up(base):
            assert time.monotonic() < deadline, "the workers did not start"
            assert process.poll() is None
            time.sleep(0.2)
        yield base, directory, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _worker_pids(server: subprocess.Popen[bytes], directory: Path) -> set[int]:
    """The server's child processes that write metrics (the parent, which serves nothing, may have files too)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children if (directory / f"histogram_{pid}.db").exists()}


def test_every_workers_counts_add_up_and_a_dead_workers_gauges_go(
    two_workers: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, directory, server = two_workers
    assert not (directory / "counter_4242.db").exists()
    counted = sample(httpx.get(f"{base}/metrics").text, REQUESTS, **HEALTHZ)
    with httpx.Client(base_url=base) as client:  # one connection per request: the kernel spreads them
        for _ in range(60):
            client.get("/healthz", headers={"Connection": "close"})
    for _ in range(3):  # whichever worker answers the scrape, it reports both
        assert sample(httpx.get(f"{base}/metrics").text, REQUESTS, **HEALTHZ) == counted + 60
    workers = _worker_pids(server, directory)
    assert len(workers) == 2

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)  # a worker of the server this test started, by its pid

    def scraped_after_the_sweep() -> str:
        """A scrape, answered by the survivor, which sweeps the dead one's gauges once the server has reaped it."""
        exposition = httpx.get(f"{base}/metrics").text
        assert not list(directory.glob(f"gauge_live*_{victim}.db")), "the dead worker's gauges are still there"
        return exposition

    after = wait_until(scraped_after_the_sweep)
    assert (directory / f"histogram_{victim}.db").exists()
    assert sample(after, REQUESTS, **HEALTHZ) == counted + 60  # its counts stay in the totals
