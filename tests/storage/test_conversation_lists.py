"""The inbox's reads walk an index, in a workspace of thousands of conversations among others' thousands, on SQLite
and PostgreSQL.

A console opens on a folder (open, mine, unassigned, a label) and re-reads it and the folders' counts as events
arrive: each page must be a range scan of an index in the listing's order that stops after `limit` rows, never
the workspace's conversations read whole and sorted. The snooze waker's look for due snoozes runs every second in
every process: it must read only the snoozes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert

from parley.storage.database import Database, Transaction
from parley.storage.models import Conversation, ConversationLabel
from parley.storage.records import ConversationRecord
from parley.storage.repositories import conversations as repo
from parley.storage.repositories import labels as label_repo
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import workspaces as workspace_repo

WORKSPACES = ("00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002")
AGENTS = [f"00000000-0000-4000-8000-0000000001{n:02}" for n in range(10)]
# Ours among a larger one: a fifth of the table, as one workspace of a shared server would be.
CONVERSATIONS = {WORKSPACES[0]: 2000, WORKSPACES[1]: 8000}
STATUSES = ("open", "pending", "snoozed", "resolved")
NOW = 1_800_000_000


def _seed(tx: Transaction) -> None:
    """Conversations spread over statuses, assignees, waits and labels, inserted many rows a statement."""
    conversations: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for workspace_id, count in CONVERSATIONS.items():
        workspace_repo.add_workspace(
            tx.conn, id=workspace_id, name="w", site_key=workspace_id, is_demo=False, settings={}, created_at=1,
            updated_at=1,
        )  # fmt: skip
        end_user = str(uuid.uuid4())
        people_repo.add_end_user(tx.conn, id=end_user, workspace_id=workspace_id, meta={}, created_at=1, updated_at=1)
        agents = AGENTS if workspace_id == WORKSPACES[0] else [str(uuid.uuid4()) for _ in AGENTS]
        for agent_id in agents:
            people_repo.add_agent(
                tx.conn, id=agent_id, workspace_id=workspace_id, service_user_id=agent_id, name="a", status="offline",
                availability="online", active=True, created_us=1, created_at=1, updated_at=1,
            )  # fmt: skip
        for n in range(count):
            conversation_id = str(uuid.uuid4())
            status = STATUSES[n % 4]
            conversations.append(
                {
                    "id": conversation_id,
                    "workspace_id": workspace_id,
                    "end_user_id": end_user,
                    "assigned_agent_id": None if n % 3 == 0 else agents[n % len(agents)],
                    "locked": False,
                    "status": status,
                    "snoozed_until": NOW + n if status == "snoozed" else None,
                    "waiting_since": NOW - n if n % 5 < 3 else None,
                    "last_microseconds": 0,
                    "created_us": n,
                    "created_at": 1,
                    "updated_at": 1,
                }
            )
            for label in ["all"] + ["vip"] * (n % 7 == 0):
                labels.append(
                    {"conversation_id": conversation_id, "label": label, "workspace_id": workspace_id, "created_us": n}
                )
    tx.conn.execute(insert(Conversation), conversations)
    tx.conn.execute(insert(ConversationLabel), labels)


def _settle(conn: Connection) -> None:
    """What a database that has run a while has: statistics, and on PostgreSQL the visibility map autovacuum
    keeps, which lets a count read an index alone (VACUUM runs outside a transaction)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
        return
    conn.commit()
    autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
    autocommit.exec_driver_sql("VACUUM ANALYZE conversations")
    autocommit.exec_driver_sql("VACUUM ANALYZE conversation_labels")


@pytest.fixture
async def many(database_url: str) -> Any:
    db = Database(database_url)
    await db.write(_seed)
    await db.read(_settle)
    yield db
    await db.dispose()


def plans_of(conn: Connection, read: Callable[[Connection], object]) -> list[str]:
    """The database's plan of each statement `read` runs, as one text each (upper case, spaces dropped)."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", capture)
    try:
        read(conn)
    finally:
        event.remove(conn, "before_cursor_execute", capture)
    plans = []
    for statement, parameters in statements:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plan = "\n".join(str(row[-1]) for row in rows)
        else:
            plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all())
        plans.append(plan.upper().replace(" ", ""))
    return plans


def walks(plan: str, index: str) -> bool:
    """The plan reads `index` (SQLite: SEARCH ... USING [COVERING] INDEX; PostgreSQL: Index [Only] Scan using, or
    Bitmap Index Scan on)."""
    index = index.upper()
    return f"INDEX{index}" in plan or f"USING{index}" in plan or f"INDEXSCANON{index}" in plan


def sorts(plan: str) -> bool:
    return "TEMPB-TREE" in plan or "SORT" in plan


def scans_a_table_whole(plan: str) -> bool:
    """SQLite: SCAN <table> (without an index); PostgreSQL: Seq Scan."""
    return "SEQSCAN" in plan or any(line.startswith("SCAN") and "INDEX" not in line for line in plan.splitlines())


def assert_index_walk(plan: str, *indexes: str) -> None:
    """One of `indexes` read in the listing's order: no sort after it, no table read whole."""
    assert any(walks(plan, index) for index in indexes), plan
    assert not sorts(plan), plan
    assert not scans_a_table_whole(plan), plan


FIRST_AGENT = AGENTS[2]  # open conversations of theirs: n = 32, 52, ...


ASSIGNEE, STATUS = "ix_conversations_workspace_assignee_status", "ix_conversations_workspace_status_created"
# Each folder, the indexes that serve its order, and whether the plan may sort what its index range found.
# A third of the open conversations are nobody's: PostgreSQL may walk the open ones newest first and skip the assigned
# as it goes; or, where few are left after the cursor, take those from the assignee index and sort them, since it
# draws no order from `IS NULL` (only `=` makes a column constant for it).
NEWEST_FIRST_FOLDERS: list[tuple[repo.ConversationFilter, tuple[str, ...], bool]] = [
    (repo.ConversationFilter(statuses=("open",)), (STATUS,), False),
    (repo.ConversationFilter(statuses=("snoozed",)), (STATUS,), False),
    (repo.ConversationFilter(statuses=("open",), assignee=FIRST_AGENT), (ASSIGNEE,), False),
    (repo.ConversationFilter(statuses=("open",), unassigned=True), (ASSIGNEE, STATUS), True),
    (repo.ConversationFilter(label="vip"), ("ix_conversation_labels_workspace_label",), False),
    (repo.ConversationFilter(), ("ix_conversations_workspace_created",), False),
]


async def test_a_newest_first_page_walks_its_folders_index(many: Database) -> None:
    for where, indexes, may_sort in NEWEST_FIRST_FOLDERS:

        def first_page(conn: Connection, where: repo.ConversationFilter = where) -> object:
            return repo.list_conversations(conn, WORKSPACES[0], where, None, 50)

        def next_page(conn: Connection, where: repo.ConversationFilter = where) -> object:
            cursor = repo.list_conversations(conn, WORKSPACES[0], where, None, 50)[-1]
            return repo.list_conversations(conn, WORKSPACES[0], where, cursor, 50)

        for plan in ((await many.read(plans_of, first_page))[0], (await many.read(plans_of, next_page))[-1]):
            assert any(walks(plan, index) for index in indexes), plan
            assert not scans_a_table_whole(plan), plan
            assert may_sort or not sorts(plan), plan


async def test_a_longest_waiting_first_page_walks_the_wait_index_in_both_parts(many: Database) -> None:
    """The waiting ones by their wait, then (when the page is not full) those not waiting, newest first."""
    where = repo.ConversationFilter(statuses=("open",), sort="waiting")

    def last_waiting(conn: Connection) -> ConversationRecord:
        # A cursor at the last waiting conversation: its page holds the end of the waiting and the first others.
        [found] = repo.list_conversations(conn, WORKSPACES[0], repo.ConversationFilter(statuses=("open",)), None, 1)
        waiting = [c for c in repo.list_conversations(conn, WORKSPACES[0], where, None, 1000) if c.waiting_since]
        assert found and waiting
        return waiting[-2]

    cursor = await many.read(last_waiting)
    plans = await many.read(plans_of, lambda conn: repo.list_conversations(conn, WORKSPACES[0], where, cursor, 50))
    assert len(plans) == 2, "the waiting part was not enough to fill the page"
    waiting, not_waiting = plans
    assert_index_walk(waiting, "ix_conversations_workspace_status_waiting")
    # Those not waiting, newest first: the wait index (NULL first, then by creation) or the status one, filtered.
    assert_index_walk(
        not_waiting, "ix_conversations_workspace_status_waiting", "ix_conversations_workspace_status_created"
    )


async def test_the_counts_the_snooze_waker_and_the_label_counts_read_indexes(many: Database) -> None:
    def count(conn: Connection) -> None:
        repo.count_by_status(conn, WORKSPACES[0])
        repo.count_open_assigned(conn, WORKSPACES[0], FIRST_AGENT)
        repo.count_open_assigned(conn, WORKSPACES[0], None)

    by_status, mine, unassigned = await many.read(plans_of, count)
    # Every conversation of the workspace is counted, through whichever index leads with it.
    assert "WORKSPACE_ID=" in by_status.replace("::TEXT", "").replace("(", "").replace(")", ""), by_status
    for plan in (mine, unassigned):
        assert walks(plan, "ix_conversations_workspace_assignee_status"), plan
    for plan in (by_status, mine, unassigned):
        assert not scans_a_table_whole(plan), plan

    [due] = await many.read(plans_of, lambda conn: repo.due_snoozes(conn, NOW + 10, 500))
    assert_index_walk(due, "ix_conversations_snoozed_until")

    [labels] = await many.read(plans_of, lambda conn: label_repo.label_counts(conn, WORKSPACES[0]))
    assert walks(labels, "ix_conversation_labels_workspace_label"), labels
    assert not scans_a_table_whole(labels), labels
    assert await many.read(label_repo.label_counts, WORKSPACES[0]) == [("all", 2000), ("vip", 286)]
