"""search: PostgreSQL's GIN indexes take new rows into a pending list of 64 kB, not 4 MB (#21)

A GIN index with `fastupdate` (the default) first appends each new row's words to a pending list, and the insert that
finds the list past `gin_pending_list_limit` moves the whole list into the index, within its own statement. At the
default of 4 MB, under the send benchmark that was the message writer's batch statement taking 55-78 ms instead of
about 1 once every 8 s (PostgreSQL's log with `log_min_duration_statement`; `pg_stat_activity` showed the backend on
CPU, not waiting; `perf` showed GIN's word comparisons; `pgstatginindex` showed the list growing to 374 pages and
emptying), and the benchmark's p99 at 43-88 ms in the rounds that held one. At 64 kB (the smallest PostgreSQL takes)
the move is small and often: no batch statement over 4.4 ms, and more messages a second (interleaved, 5 rounds:
0.95x SQLite's against 0.88x at 4 MB; turning `fastupdate` off, each insert updating the index itself, gave 0.89x
and more statements over 3 ms). A search also reads the pending list through, so it stays short for them too.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_INDEXES = ("ix_messages_search", "ix_end_users_search")
PENDING_LIST_KB = 64


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in SEARCH_INDEXES:
            op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {PENDING_LIST_KB})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in SEARCH_INDEXES:
            op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")
