"""`parley` as operators run it: real processes with an environment of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

PARLEY = [sys.executable, "-m", "parley.cli"]


def parley_env(**variables: str) -> dict[str, str]:
    """The test process's environment without any PARLEY_* of its own, plus `variables`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}, **variables}


def run_parley(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*PARLEY, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def start_serving(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    """`parley serve --port PORT ARGS`, returned once /healthz answers."""
    process = subprocess.Popen(
        [*PARLEY, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("parley serve did not come up")


@contextmanager
def serving(env: dict[str, str], port: int, *args: str) -> Iterator[str]:
    """A running `parley serve`; yields its base URL and stops it afterwards."""
    process = start_serving(env, port, *args)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not ended within ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
