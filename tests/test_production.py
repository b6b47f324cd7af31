"""Production mode: `parley serve` refuses to start on a missing or weak secret key, a public URL that is not https,
or a demo workspace; `parley check` prints the same verdicts without starting (exit 0 or 1)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from parley.config import Settings
from parley.ops import checks
from parley.storage.migrate import upgrade

PARLEY = [sys.executable, "-m", "parley.cli"]
GOOD_KEY = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    ("key", "verdict"),
    [
        (None, "not set"),
        ("", "not set"),
        ("short-key-123", "13 characters"),
        ("change-me-change-me-change-me-change-me", "placeholder"),
        ("a" * 40, "placeholder"),
        (GOOD_KEY, "set (64 characters)"),
    ],
)
def test_the_secret_key_verdict(key: str | None, verdict: str) -> None:
    found = checks.secret_key_verdict(Settings(secret_key=key))
    assert verdict in found.detail
    assert found.failed == (key != GOOD_KEY)


@pytest.mark.parametrize(
    ("url", "ok"),
    [("", False), ("http://chat.example.com", False), ("https://", False), ("https://chat.example.com", True)],
)
def test_the_public_url_verdict(url: str, ok: bool) -> None:
    assert checks.public_url_verdict(Settings(public_url=url)).failed is not ok


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite install configured for production, ready unless a test spoils it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    upgrade(f"sqlite+aiosqlite:///{data_dir / 'parley.db'}")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return {
        **clean,
        "PARLEY_ENV": "production",
        "PARLEY_DATA_DIR": str(data_dir),
        "PARLEY_SECRET_KEY": GOOD_KEY,
        "PARLEY_PUBLIC_URL": "https://chat.example.com",
        "PARLEY_METRICS_TOKEN": "scrape-" + secrets.token_hex(16),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PARLEY, *args], env=env, capture_output=True, text=True, timeout=60)


def test_check_passes_on_a_ready_install(env: dict[str, str]) -> None:
    result = run(env, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ready for production" in result.stdout
    assert result.stdout.count("\nok ") >= 3


def test_check_and_serve_fail_on_the_same_verdicts(env: dict[str, str]) -> None:
    env |= {"PARLEY_SECRET_KEY": "too-short", "PARLEY_PUBLIC_URL": "http://chat.example.com"}
    assert run(env, "demo").returncode == 0  # the demo workspace, as `make run` makes it
    checked = run(env, "check")
    assert checked.returncode == 1
    failures = [line for line in checked.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 3
    assert any("secret key" in line for line in failures)
    assert any("http://chat.example.com is not an https URL" in line for line in failures)
    assert any("demo workspace: present" in line for line in failures)

    served = run(env, "serve", "--port", "1")  # refused before binding anything
    assert served.returncode == 1
    assert "PARLEY_ENV=production" in served.stderr
    for failure in failures:
        assert failure in served.stderr


def test_serve_refuses_an_install_it_cannot_look_into(env: dict[str, str], tmp_path: Path) -> None:
    env["PARLEY_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'parley.db'}"
    served = run(env, "serve", "--port", "1")
    assert served.returncode == 1
    assert "demo workspace: could not look in the database" in served.stderr


def test_check_outside_production_says_serve_does_not_enforce_it(env: dict[str, str]) -> None:
    env |= {"PARLEY_ENV": "development", "PARLEY_SECRET_KEY": ""}
    checked = run(env, "check")
    assert checked.returncode == 1
    assert "serve enforces these only in production" in checked.stdout


def test_check_and_serve_fail_while_metrics_are_open_to_anyone(env: dict[str, str]) -> None:
    del env["PARLEY_METRICS_TOKEN"]
    checked = run(env, "check")
    assert checked.returncode == 1
    [failure] = [line for line in checked.stdout.splitlines() if line.startswith("FAIL")]
    assert "metrics (PARLEY_METRICS_TOKEN): not set: /metrics is open to anyone" in failure

    served = run(env, "serve", "--port", "1")  # refused before binding anything
    assert served.returncode == 1 and failure in served.stderr

    assert run({**env, "PARLEY_METRICS": "false"}, "check").returncode == 0, "no metrics, nothing open"
