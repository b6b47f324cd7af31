"""Prometheus metrics: what they are, the helpers the instrumented code calls, and rendering for `GET /metrics`.

One process: the default registry. Several (`parley serve --workers N`, or `PROMETHEUS_MULTIPROC_DIR` set by the
operator): prometheus-client's multiprocess mode, where every process writes its values to files in that
directory and a scrape, answered by any worker, adds them up. prometheus-client picks the mode when it is first
imported, so the directory must be in the environment before a worker starts: `parley serve` sees to it
(`prepare_multiprocess_dir`). Gauges of processes that died are dropped at each scrape (`sweep_dead_workers`).

Every helper returns at once when metrics are off (`PARLEY_METRICS=false`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from parley.clock import now
from parley.storage.repositories import webhooks as webhooks_repo

if TYPE_CHECKING:
    from parley.storage.database import Database

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Decided once, like prometheus-client itself decides it: when this module is first imported.
MULTIPROCESS_DIR: str | None = os.environ.get(MULTIPROC_ENV) or None
if MULTIPROCESS_DIR is not None:  # prometheus-client opens its files there as soon as a metric is defined
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)
BACKLOG_QUERY_SECONDS = 2.0

REQUEST_DURATION = Histogram(
    "parley_http_request_duration_seconds",
    "HTTP requests by method, route template and status, and how long they took.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MESSAGES_STORED = Counter("parley_messages_stored_total", "Messages stored, by type.", ["type"])
WRITE_BATCH_SIZE = Histogram(
    "parley_write_batch_size",
    "Messages per group-commit transaction of the message writer.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
WRITE_COMMIT_SECONDS = Histogram(
    "parley_write_commit_seconds",
    "Time of one message-writer transaction, from waiting for the write connection to COMMIT.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
WEBSOCKETS_OPEN = Gauge(
    "parley_websocket_connections",
    "Websockets open (authenticated and subscribed), by kind: visitor or agent.",
    ["kind"],
    multiprocess_mode="livesum",
)
EVENTS_PUBLISHED = Counter(
    "parley_events_published_total", "Events this process published to sockets (and other processes).", ["event"]
)
WEBHOOK_DELIVERIES = Counter(
    "parley_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (failed and "
    "given up: the retry window is over) or interrupted (Parley was stopping; tried again at once).",
    ["outcome"],
)
MAIL_SENT = Counter(
    "parley_mail_total",
    "Attempts at sending a queued mail, by outcome: sent, retry (tried again later), failed (given up), cancelled "
    "(its cause went away) or interrupted (Parley was stopping; tried again at once).",
    ["outcome"],
)
WEBHOOK_OLDEST_UNDELIVERED = Gauge(
    "parley_webhook_oldest_undelivered_age_seconds",
    "Age of the oldest webhook delivery still pending (0 when none), at scrape time.",
    multiprocess_mode="livemostrecent",
)
WEBHOOK_PENDING = Gauge(
    "parley_webhook_pending_deliveries",
    "Webhook deliveries still pending, as read at most PARLEY_METRICS_BACKLOG_SECONDS before the scrape.",
    multiprocess_mode="livemostrecent",
)
FETCHES_REFUSED = Counter(
    "parley_fetches_refused_total",
    "Outbound fetches (files, avatars, webhooks) refused by the URL guard, by reason.",
    ["reason"],
)
RATE_LIMITED = Counter("parley_rate_limited_total", "Requests refused with 429 rate_limited, by limit.", ["limit"])


class _Switch:
    on = True


_switch = _Switch()


def configure(enabled: bool) -> None:
    """`PARLEY_METRICS`: off, every helper below returns at once."""
    _switch.on = enabled


def enabled() -> bool:
    return _switch.on


def messages_stored(types: Iterable[str]) -> None:
    if _switch.on:
        for message_type, count in Tally(types).items():
            MESSAGES_STORED.labels(message_type).inc(count)


def write_batch(size: int, seconds: float) -> None:
    if _switch.on:
        WRITE_BATCH_SIZE.observe(size)
        WRITE_COMMIT_SECONDS.observe(seconds)


_event_children: dict[str, Counter] = {}


def events_published(names: Iterable[str]) -> None:
    if _switch.on:
        for name in names:
            child = _event_children.get(name)
            if child is None:
                child = _event_children[name] = EVENTS_PUBLISHED.labels(name)
            child.inc()


def webhook_delivery(outcome: str) -> None:
    if _switch.on:
        WEBHOOK_DELIVERIES.labels(outcome).inc()


def mail_sent(outcome: str) -> None:
    if _switch.on:
        MAIL_SENT.labels(outcome).inc()


def fetch_refused(reason: str) -> None:
    if _switch.on:
        FETCHES_REFUSED.labels(reason).inc()


def rate_limited(limit: str) -> None:
    if _switch.on:
        RATE_LIMITED.labels(limit).inc()


def _nothing() -> None:
    return None


def websocket_opened(kind: str) -> Callable[[], None]:
    """Count one open socket of `kind`; call what this returns when it closes."""
    if not _switch.on:
        return _nothing
    gauge = WEBSOCKETS_OPEN.labels(kind)
    gauge.inc()
    return gauge.dec


class WebhookBacklog:
    """The webhook gauges, read from the database at most once every `max_age` seconds in this process however
    often `/metrics` is scraped (a scrape flood must not become a query flood). Between reads the pending count is
    the last one read and the oldest delivery's age is counted on from its start. A failed read keeps the last
    figures and is not retried before `max_age` either."""

    def __init__(self, db: Database, max_age: float) -> None:
        self._db = db
        self._max_age = max_age
        self._lock = asyncio.Lock()
        self._next_read = 0.0
        self._oldest_us: int | None = None
        self._pending = 0

    async def update_gauges(self) -> None:
        if not _switch.on:
            return
        if time.monotonic() >= self._next_read:
            async with self._lock:  # concurrent scrapes: one read
                if time.monotonic() >= self._next_read:
                    await self._read()
                    self._next_read = time.monotonic() + self._max_age
        WEBHOOK_PENDING.set(self._pending)
        age = now() - self._oldest_us / 1_000_000 if self._oldest_us else 0.0
        WEBHOOK_OLDEST_UNDELIVERED.set(max(0.0, age))

    async def _read(self) -> None:
        try:
            async with asyncio.timeout(BACKLOG_QUERY_SECONDS):
                self._oldest_us, self._pending = await self._db.read(webhooks_repo.pending_backlog)
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics: could not read the webhook backlog (%s)", type(exc).__name__)


def render() -> bytes:
    """The Prometheus text format: this process's registry, or every worker's files added up."""
    if MULTIPROCESS_DIR is None:
        return generate_latest(REGISTRY)
    sweep_dead_workers(MULTIPROCESS_DIR)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def sweep_dead_workers(directory: str) -> list[int]:
    """Mark processes that left gauge files behind but no longer run as dead (their live gauges stop counting);
    their counters and histograms stay, so totals never go down. Returns the pids marked."""
    dead: set[int] = set()
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = _pid_of(path)
        if pid is not None and pid not in dead and not _alive(pid):
            dead.add(pid)
    for pid in dead:
        prometheus_multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
    return sorted(dead)


def prepare_multiprocess_dir(workers: int) -> Path | None:
    """For `parley serve`, before any worker starts: a fresh multiprocess directory.

    With `PROMETHEUS_MULTIPROC_DIR` set, it is created if needed and emptied of other processes' files (values
    left by an earlier run would be added to this one's). Without it and with several workers, a new temporary
    directory is made and exported to the workers; it is returned so that the caller removes it at exit.
    """
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            if _pid_of(stale) != os.getpid():  # this process's own files (one worker, in-process) stay
                stale.unlink(missing_ok=True)
        return None
    if workers <= 1:
        return None
    created = Path(tempfile.mkdtemp(prefix="parley-metrics-"))
    os.environ[MULTIPROC_ENV] = str(created)
    return created


def _pid_of(path: Path) -> int | None:
    tail = path.stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
