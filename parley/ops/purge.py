"""`parley purge --older-than DAYS`: delete conversations whose last message is older than that.

With each conversation go its messages, its reviews, its outbox rows (and their webhook deliveries), the File rows
of its messages that nothing else refers to, and the bytes and thumbnails of those no other File row names (another
conversation's identical upload keeps them). End users, agents and workspaces stay. A conversation without any
message counts from its creation.

It runs beside a serving Parley: candidates are found on a read connection, then each batch is checked again and
deleted in one short write transaction (on SQLite the server's writes wait only for that batch). After each batch
the servers are told to forget those conversations (`invalidate`, over Redis when configured; without it a server
finds out from the database when a send to one is refused).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley.clock import MICROSECONDS_PER_DAY, now_microseconds
from parley.files.removal import delete_stored
from parley.files.store import FileStore
from parley.realtime.broker import Invalidation
from parley.storage.database import Database, Transaction
from parley.storage.records import FileRecord
from parley.storage.repositories import retention as repo

BATCH = 200

Echo = Callable[[str], None]


@dataclass
class PurgeReport:
    cutoff_us: int
    conversations: int = 0
    messages: int = 0
    reviews: int = 0
    events: int = 0
    deliveries: int = 0
    file_records: int = 0
    stored_files: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        if self.dry_run:
            return f"{verb} {self.conversations} conversations (run without --dry-run to delete them)"
        return (
            f"{verb} {self.conversations} conversations, {self.messages} messages, {self.reviews} reviews, "
            f"{self.events} outbox events, {self.deliveries} webhook deliveries, {self.file_records} file records "
            f"and {self.stored_files} stored files"
        )


async def purge(
    db: Database,
    files: FileStore,
    older_than_days: float,
    echo: Echo,
    dry_run: bool = False,
    workspace_id: str | None = None,
    batch: int = BATCH,
    *,
    invalidate: Callable[[Invalidation], Awaitable[None]],
) -> PurgeReport:
    report = PurgeReport(cutoff_us=now_microseconds() - int(older_than_days * MICROSECONDS_PER_DAY), dry_run=dry_run)

    def delete_batch(
        tx: Transaction, candidates: list[str]
    ) -> tuple[list[str], repo.Deleted, list[FileRecord], set[str]] | None:
        """The candidates still stale, what went with them, and the paths of bytes nothing refers to any more."""
        # Checked again in the transaction: a message may have arrived since.
        stale = repo.stale_conversation_ids(tx.conn, report.cutoff_us, batch, workspace_id, among=candidates)
        if not stale:
            return None
        deleted = repo.delete_conversations(tx.conn, stale)
        dropped = repo.drop_unreferenced_files(tx.conn, deleted.file_ids or set())
        paths = {f.path for f in dropped}
        return stale, deleted, dropped, paths - repo.paths_in_use(tx.conn, paths)

    after = ""
    while True:
        candidates = await db.read(repo.stale_conversation_ids, report.cutoff_us, batch, workspace_id, after)
        if not candidates:
            return report
        after = candidates[-1]
        if dry_run:
            report.conversations += len(candidates)
            continue
        done = await db.write(delete_batch, candidates)
        if done is None:
            continue
        stale, deleted, dropped, unused_paths = done
        await invalidate(Invalidation(conversation_ids=tuple(stale)))
        report.conversations += deleted.conversations
        report.messages += deleted.messages
        report.reviews += deleted.reviews
        report.events += deleted.events
        report.deliveries += deleted.deliveries
        report.file_records += len(dropped)
        report.stored_files += await delete_stored(files, unused_paths)
        echo(f"  {report.conversations} conversations deleted so far")
