"""The client address that per-address limits count, as a real `parley serve` sees it: `X-Forwarded-For` is
believed only from `PARLEY_TRUSTED_PROXIES`, and an IPv6 client is counted by its /64."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.live import free_port
from tests.support.processes import parley_env, run_parley, serving

SESSIONS_PER_ADDRESS = 3


@contextmanager
def _server(tmp_path: Path, **variables: str) -> Iterator[tuple[httpx.Client, str]]:
    """`parley serve` allowing SESSIONS_PER_ADDRESS anonymous sessions a minute per address; yields a client of
    it and the workspace's site key."""
    env = parley_env(
        PARLEY_DATA_DIR=str(tmp_path / "data"),
        PARLEY_BOOTSTRAP_TOKEN="plt_client-address-test-token",
        PARLEY_RATE_LIMIT_SESSION=f"{SESSIONS_PER_ADDRESS}/minute",
        **variables,
    )
    run_parley(env, "migrate")
    [workspace] = json.loads(run_parley(env, "workspaces", "list", "--json").stdout)
    with serving(env, free_port()) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http, workspace["siteKey"]


def _session(http: httpx.Client, site_key: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return http.post("/api/widget/v1/session", json={"siteKey": site_key}, headers=headers).status_code


def test_a_direct_client_cannot_name_its_own_address(tmp_path: Path) -> None:
    with _server(tmp_path) as (http, site_key):
        statuses = [_session(http, site_key, f"198.51.100.{n}") for n in range(SESSIONS_PER_ADDRESS + 2)]

    assert statuses == [200] * SESSIONS_PER_ADDRESS + [429, 429], "every spoofed address counted as 127.0.0.1"


def test_a_proxy_that_is_not_trusted_cannot_either(tmp_path: Path) -> None:
    with _server(tmp_path, PARLEY_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7") as (http, site_key):
        statuses = [_session(http, site_key, f"198.51.100.{n}") for n in range(SESSIONS_PER_ADDRESS + 1)]

    assert statuses == [200] * SESSIONS_PER_ADDRESS + [429]


def test_a_trusted_proxy_names_the_client_and_ipv6_clients_count_by_their_64(tmp_path: Path) -> None:
    with _server(tmp_path, PARLEY_TRUSTED_PROXIES="127.0.0.1/32") as (http, site_key):
        first = [_session(http, site_key, "203.0.113.5") for _ in range(SESSIONS_PER_ADDRESS + 1)]
        second = _session(http, site_key, "203.0.113.6")
        one_64 = [_session(http, site_key, f"2001:db8:0:7::{n:x}") for n in range(1, SESSIONS_PER_ADDRESS + 2)]
        next_64 = _session(http, site_key, "2001:db8:0:8::1")
        proxy_itself = _session(http, site_key)

    assert first == [200] * SESSIONS_PER_ADDRESS + [429], "one client behind the proxy has its own count"
    assert second == 200, "and another client has another"
    assert one_64 == [200] * SESSIONS_PER_ADDRESS + [429], "addresses of one /64 share a count"
    assert next_64 == 200
    assert proxy_itself == 200, "the proxy's own address is not the clients'"
