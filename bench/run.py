"""`make bench`: send-text-message under load, Parley against the bare-FastAPI baseline, in the same run.

Each server runs alone in its own process: the baseline with uvicorn's defaults (access log on), Parley as
`parley serve` runs it (uvicorn's access log off, Parley's one structured line per request instead). Load comes
from `wrk` (Debian's package) in another process: 32 connections, a fresh uuid per request. Prints a table of
requests/s and p50/p99 latency with the ratio Parley / baseline, and writes it to bench/results/latest.md.

The same table ends with the realtime figures of `bench/realtime.py`: delivery latency from the API call to the
frame at the visitor's websocket with 1,000 visitors connected, and idle connections per GiB of server memory; the
fan-out figures of `bench/fanout.py` (the loop's time per event at 1,000 and 20,000 visitors connected); the
realistic load of `bench/load.py` (10,000 visitors connected, 300 chatting with 20 agents, webhooks on: delivery
from send to the other party's screen, messages/s, server CPU a message) on SQLite with one process and on
PostgreSQL + Redis with two workers; then the search figures of `bench/search.py`: `GET /search` over 1,000,000
messages in 100,000 conversations beside a second workspace of that size, on SQLite and on PostgreSQL.

Every server is up at once and each is measured in two halves, in the order A B C D D C B A: the machine's load
drifts by 10-20 % between runs, and a drift then falls on all of them alike, so the ratios (what this reports)
hold still where the absolute figures move. An idle server costs nothing. Parley on SQLite runs twice, with
metrics on (the default) and off (`PARLEY_METRICS=false`): the ratio of the two is what metrics cost.

The benchmark's single API token sends far more than any integrator, so its rate limit is raised out of the way
(`PARLEY_RATE_LIMIT_API_TOKEN`); the limiter still counts every request.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench import fanout, realtime, search
from bench import load as realistic
from bench.common import BIN, PARLEY, free_port, parley, parley_env, scratch_postgres, server

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.md"
METRICS_OFF = "Parley, SQLite, metrics off"
T = TypeVar("T")


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Row:
    name: str
    load: Load | None = None
    stored: int | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""
    per_second: float | None = None  # the req/s column of a row without a Load: what it counts, a second
    errors: int | None = None


def wrk(target: Target, seconds: int, connections: int) -> Load:
    env = {**os.environ, "PARLEY_BENCH_TOKEN": target.token, "PARLEY_BENCH_PATH": target.path}
    script = str(HERE / "send_text.lua")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, target.base]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)) else 0
    return Load(rps, _percentile(output, "50%"), _percentile(output, "99%"), errors)


def _percentile(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@dataclass(frozen=True)
class Target:
    """A running server to load, and (for Parley) the conversation whose history must hold what was answered."""

    base: str
    token: str
    path: str
    conversation_id: str | None = None

    def stored(self) -> int | None:
        if self.conversation_id is None:
            return None
        return _count(self.base, self.conversation_id, {"Authorization": self.token})


def measure_together(targets: list[Target], seconds: int, connections: int) -> list[Load]:
    """Each target loaded for half the time, twice, in the order A B ... B A; see the module's docstring."""
    half = max(1, seconds // 2)
    for target in targets:
        wrk(target, 3, connections)  # warm-up
    halves: dict[int, list[Load]] = {index: [] for index in range(len(targets))}
    order = [*range(len(targets)), *reversed(range(len(targets)))]
    for index in order:
        halves[index].append(wrk(targets[index], half, connections))
    return [_combined(halves[index]) for index in range(len(targets))]


def _combined(halves: list[Load]) -> Load:
    """Requests/s and p50 averaged over the halves; p99 the worse of them."""
    return Load(
        sum(h.requests_per_second for h in halves) / len(halves),
        sum(h.p50_ms for h in halves) / len(halves),
        max(h.p99_ms for h in halves),
        sum(h.errors for h in halves),
    )


@contextmanager
def parley_target(env: dict[str, str]) -> Iterator[Target]:
    env = {**env, "PARLEY_RATE_LIMIT_API_TOKEN": "100000000/minute"}  # see the module's docstring
    parley(env, "migrate")
    token = json.loads(parley(env, "workspaces", "create", f"bench-{time.time_ns()}", "--json"))["token"]
    port = free_port()
    command = [PARLEY, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with server(command, env, port) as base:
        headers = {"Authorization": token}
        end_user = httpx.post(f"{base}/api/external/v1/end-users", json={}, headers=headers).json()["data"]
        conversation = httpx.post(
            f"{base}/api/external/v1/conversations", json={"endUserId": end_user["id"]}, headers=headers
        ).json()["data"]
        path = f"/api/external/v1/conversation/{conversation['id']}/send-text-message"
        yield Target(base, token, path, conversation["id"])


@contextmanager
def baseline_target() -> Iterator[Target]:
    port = free_port()
    command = [str(BIN / "uvicorn"), "bench.baseline:app", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    with server(command, env, port) as base:
        yield Target(base, "none", "/api/external/v1/conversation/x/send-text-message")


def _count(base: str, conversation_id: str, headers: dict[str, str]) -> int:
    """Every acknowledged message must be in the history: walk it."""
    after, total = 0, 0
    while True:
        page = httpx.get(
            f"{base}/api/external/v1/conversation/{conversation_id}/messages",
            params={"after": after, "limit": 100},
            headers=headers,
            timeout=30,
        ).json()["data"]
        if not page:
            return total
        total += len(page)
        after = page[-1]["microseconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--visitors", type=int, default=1000, help="websockets held for the realtime figures")
    parser.add_argument("--samples", type=int, default=realtime.SAMPLES, help="messages timed for the realtime figures")
    parser.add_argument("--search-messages", type=int, default=1_000_000, help="messages a workspace, for search")
    parser.add_argument("--search-conversations", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200, help="searches timed of each kind")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PARLEY_BENCH_POSTGRES_URL"),
        help="an admin URL (postgresql://user@host:port/db); the benchmark creates and drops its own database",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    names = ["baseline (bare FastAPI)", "Parley, SQLite", METRICS_OFF]
    with contextlib.ExitStack() as servers:
        on, off = (Path(servers.enter_context(tempfile.TemporaryDirectory())) for _ in range(2))
        targets = [
            servers.enter_context(baseline_target()),
            servers.enter_context(parley_target(parley_env(on, None))),
            servers.enter_context(parley_target({**parley_env(off, None), "PARLEY_METRICS": "false"})),
        ]
        if args.postgres:
            url = servers.enter_context(scratch_postgres(args.postgres))
            directory = Path(servers.enter_context(tempfile.TemporaryDirectory()))
            targets.append(servers.enter_context(parley_target(parley_env(directory, url))))
            names.append("Parley, PostgreSQL")
        loads = measure_together(targets, args.seconds, args.connections)
        rows = [Row(name, load, target.stored()) for name, load, target in zip(names, loads, targets, strict=True)]
    live = realtime.run(args.visitors, args.samples)
    rows.append(
        Row(
            f"Realtime: delivery, API call to websocket frame, {args.visitors:,} visitors connected",
            p50_ms=live["p50_ms"],
            p99_ms=live["p99_ms"],
            note=f"{live['connections_per_gib']:,.0f} idle connections per GiB "
            f"({live['kib_per_connection']:.1f} KiB each)",
        )
    )
    rows += fanout_rows()
    rows += load_rows(args.postgres)
    rows += search_rows(args)
    report(rows, args)


def fanout_rows() -> list[Row]:
    """The loop's time per event in the hub at 1,000 and 20,000 visitors, and the ratio of the two, in a process of
    its own, as the loads are, so that what the runs before it left in this process's heap is not in the figures.
    Measured in microseconds, the ratio moves from run to run: in this process 1.12x-1.61x (two runs), alone
    1.13x-1.26x (three), in a process of its own here 1.32x / 1.37x (one)."""
    figures = {(f.event, f.visitors): f for f in in_a_fresh_process(fanout.run)}
    rows = []
    for (event, visitors), figure in figures.items():
        smallest = figures[(event, min(v for e, v in figures if e == event))]
        rows.append(
            Row(
                f"Fan-out: one {event}, {visitors:,} visitors connected (in-process, loop time)",
                p50_ms=figure.p50_us / 1000,
                p99_ms=figure.p99_us / 1000,
                note=f"{figure.p50_us / smallest.p50_us:.2f}x the p50 at {smallest.visitors:,}",
            )
        )
    return rows


def load_rows(postgres: str | None) -> list[Row]:
    """The realistic load of `bench/load.py`: SQLite with one process, PostgreSQL + Redis with two workers."""
    options = realistic.Options() if postgres is None else realistic.Options(postgres=postgres)
    scale = (
        f"{options.visitors:,} visitors connected, {options.chatting} chatting with {options.consoles} agents' "
        f"consoles open, webhooks on, {options.rate:g} msgs/s sent"
    )
    rows = []
    for configuration in ["sqlite"] if postgres is None else ["sqlite", "postgres"]:
        result = in_a_fresh_process(realistic.run, configuration, options)
        rows.append(
            Row(
                f"Load, {realistic.CONFIGURATIONS[configuration]}: delivery, send to the other party's frame "
                f"({scale}); msgs/s delivered",
                p50_ms=result.p50_ms,
                p99_ms=result.p99_ms,
                note=result.note(),
                per_second=result.delivered_per_second,
                errors=result.errors,
            )
        )
    return rows


def in_a_fresh_process(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in a process of its own (spawned). A load's generator in this process ran behind: measured, the
    PostgreSQL load's pacer 13.2 ms late at p99 and its delivery p99 334.5 ms after the runs before it (this
    process's heap holding what they left, some of it frozen), against 1.4 ms and 33.1 ms run alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(work, *args).result()


def search_rows(args: argparse.Namespace) -> list[Row]:
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    rows = []
    for name, admin_url in databases:
        with contextlib.ExitStack() as scratch:
            directory = Path(scratch.enter_context(tempfile.TemporaryDirectory()))
            url = scratch.enter_context(scratch_postgres(admin_url)) if admin_url else None
            figures, filled = search.run(
                parley_env(directory, url),
                directory,
                url,
                args.search_conversations,
                args.search_messages,
                args.searches,
            )
        scale = f"{args.search_messages:,} messages, {args.search_conversations:,} conversations (x2 workspaces)"
        rows += [
            Row(
                f"Search, {name}: {figure.query}",
                p50_ms=figure.p50_ms,
                p99_ms=figure.p99_ms,
                note=f"{figure.results} found; {scale}, filled in {filled:.0f} s",
            )
            for figure in figures
        ]
    return rows


def report(rows: list[Row], args: argparse.Namespace) -> None:
    baseline = rows[0].load
    assert baseline is not None
    lines = [
        f"# send-text-message, {args.connections} connections, {args.seconds} s; realtime delivery; realistic load",
        "",
        f"{datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})",
        "",
        "| what | req/s | p50 ms | p99 ms | errors | stored | vs baseline | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.load is None:
            rate = "-" if row.per_second is None else f"{row.per_second:,.0f}"
            errors = "-" if row.errors is None else row.errors
            lines.append(
                f"| {row.name} | {rate} | {_ms(row.p50_ms)} | {_ms(row.p99_ms)} | {errors} | - | - | {row.note} |"
            )
            continue
        load = row.load
        ratio = load.requests_per_second / baseline.requests_per_second
        lines.append(
            f"| {row.name} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.errors} "
            f"| {'-' if row.stored is None else row.stored} | {ratio:.2f}x | {row.note} |"
        )
    loads = {row.name: row.load for row in rows if row.load is not None}
    if "Parley, SQLite" in loads and METRICS_OFF in loads:
        cost = loads["Parley, SQLite"].requests_per_second / loads[METRICS_OFF].requests_per_second
        lines += ["", f"Metrics on / off (SQLite): {cost:.2f}x the throughput."]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


def _ms(value: float | None) -> str:
    """Milliseconds, to a tenth, or to a thousandth (a microsecond) below one."""
    return "-" if value is None else f"{value:.1f}" if value >= 1 else f"{value:.3f}"


if __name__ == "__main__":
    main()
