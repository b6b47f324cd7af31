"""The outboxes pruned: events, finished webhook deliveries and finished mail older than
`PARLEY_EVENT_RETENTION_DAYS` go.

Every committed change leaves an event (the websocket replay log and the webhook outbox) and, with a webhook, a
delivery per event: unpruned, the two tables grow for ever, by more than the messages themselves. Every serving
process prunes when it starts and every `PRUNE_SECONDS`, in short transactions of at most `BATCH` rows so that
message writes wait for one batch at most; processes pruning at once on PostgreSQL delete each row once.

What goes: deliveries delivered or failed, mail sent, failed or cancelled, and events no delivery refers to any
more (a pending delivery keeps its event, a pending mail itself, whatever their age). Messages stay: the history is
theirs. A socket resuming from before the retention gets what is left, and a pruned delivery can no longer be
redelivered (404).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from parley.background import Periodic
from parley.clock import MICROSECONDS_PER_DAY, now_microseconds
from parley.storage.database import Database, Transaction
from parley.storage.repositories import retention as repo

log = logging.getLogger(__name__)

PRUNE_SECONDS = 600.0
BATCH = 500

Find = Callable[[Connection, int, int, int], repo.Aged]
Delete = Callable[[Connection, Sequence[int], int], int]


@dataclass(frozen=True)
class Pruned:
    events: int
    deliveries: int
    mail: int = 0


async def prune_outbox(db: Database, now_us: int, retention_days: float) -> Pruned:
    """Deliveries first: an event goes only once it has none left."""
    before_us = now_us - int(retention_days * MICROSECONDS_PER_DAY)
    deliveries = await _prune(db, repo.aged_deliveries, repo.delete_finished_deliveries, before_us // 1_000_000)
    events = await _prune(db, repo.aged_events, repo.delete_unowed_events, before_us)
    mail = await _prune(db, repo.aged_mail, repo.delete_finished_mail, before_us // 1_000_000)
    return Pruned(events=events, deliveries=deliveries, mail=mail)


async def _prune(db: Database, find: Find, delete: Delete, before: int) -> int:
    """Read on a read connection; write only when something is old (the delete checks its conditions again)."""

    def delete_aged(tx: Transaction, keys: Sequence[int]) -> int:
        return delete(tx.conn, keys, before)

    deleted, after = 0, 0
    while True:
        aged = await db.read(find, after, before, BATCH)
        if aged.keys:
            deleted += await db.write(delete_aged, aged.keys)
        if aged.last is None:
            return deleted
        after = aged.last


def outbox_pruner(db: Database, retention_days: float) -> Periodic:
    return Periodic("parley-outbox-pruner", PRUNE_SECONDS, partial(_prune_and_report, db, retention_days))


async def _prune_and_report(db: Database, retention_days: float) -> None:
    pruned = await prune_outbox(db, now_microseconds(), retention_days)
    if pruned.events or pruned.deliveries or pruned.mail:
        log.info(
            "outboxes pruned: %d events, %d webhook deliveries, %d mails", pruned.events, pruned.deliveries, pruned.mail
        )
