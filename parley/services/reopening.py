"""Conversations that become `open` again by themselves: when their visitor writes, and when their snooze ends.

- A visitor's message (any type, any way it arrived) to a `pending`, `snoozed` or `resolved` conversation reopens it
  in the message's own transaction: the message writer, which learns each conversation's status from the position
  update it makes anyway, calls `reopen_for_visitors` once per batch that stored visitor messages in conversations
  not open, and that is one conditional UPDATE for all of them (messages to open conversations cost nothing more).
- Every serving process looks for due snoozes every `WAKE_SECONDS` (and at once when it starts, so a snooze that
  ended while the server was down ends within that time of start-up). It reads first, so a round with nothing due
  writes nothing; the transaction that wakes them takes their rows (on PostgreSQL skipping those another process
  holds) and checks again that each is still snoozed and due, so of processes waking one at the same time exactly
  one changes it, and only that one emits its event.

Either way the change is a `conversation.status_changed` and an activity entry (by the `visitor`, or the `system`).
"""

from __future__ import annotations

import logging
from functools import partial

from parley.background import Periodic
from parley.clock import now_seconds
from parley.services import activity
from parley.services.views import Views
from parley.storage.database import Database, Transaction
from parley.storage.repositories import conversations as conversation_repo

log = logging.getLogger(__name__)

WAKE_SECONDS = 1.0
WAKE_BATCH = 500
STATUS_CHANGED = "conversation.status_changed"


def reopen_for_visitors(views: Views, tx: Transaction, conversation_ids: list[str]) -> None:
    """The writer's `visitors_wrote`: the conversations, open, with their events. The UPDATE changes only those not
    open yet, and returns only those."""
    reopened = conversation_repo.reopen(tx.conn, conversation_ids, now_seconds())
    if reopened:
        activity.announce(views, tx, STATUS_CHANGED, reopened, activity.VISITOR)


async def wake_due_snoozes(db: Database, views: Views, now: int) -> int:
    """Open the conversations whose snooze ended by `now`, a batch per transaction; returns how many this process
    woke (another process may have woken some of those it found due)."""
    woken = 0
    while due := await db.read(conversation_repo.due_snoozes, now, WAKE_BATCH):
        woken += await db.write(_wake, views, due, now)
        if len(due) < WAKE_BATCH:
            break
    return woken


def _wake(tx: Transaction, views: Views, conversation_ids: list[str], now: int) -> int:
    awake = conversation_repo.wake(tx.conn, conversation_ids, now)
    if awake:
        activity.announce(views, tx, STATUS_CHANGED, awake, activity.SYSTEM)
    return len(awake)


def snooze_waker(db: Database, views: Views) -> Periodic:
    return Periodic("parley-snooze-waker", WAKE_SECONDS, partial(_wake_and_report, db, views))


async def _wake_and_report(db: Database, views: Views) -> None:
    woken = await wake_due_snoozes(db, views, now_seconds())
    if woken:
        log.info("snoozes ended: %d conversations open again", woken)
