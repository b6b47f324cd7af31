"""The group-commit writer: whatever arrives together, each client uuid is stored once and positions only grow."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import uuid as uuid_module
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, text

from parley import schemas
from parley.observability import metrics
from parley.storage import sqlite
from parley.storage.database import POSTGRES_POOL, Database, Transaction
from parley.storage.message_writer import MessageDraft, MessageWriter, Outcome, VisitorsWrote, WriteResult
from parley.storage.models import Event, Message
from parley.storage.records import MessageRecord
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import workspaces as workspace_repo
from tests.support.databases import sqlite_url_from_template, truncate_postgres
from tests.support.postgres_wire import counting_relay

WORKSPACE = "00000000-0000-4000-8000-000000000001"
END_USER = "00000000-0000-4000-8000-000000000002"
CONVERSATIONS = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b")
AGENT = "00000000-0000-4000-8000-000000000003"
BOT = "00000000-0000-4000-8000-000000000004"


def draft(
    conversation: str,
    uuid: str | None,
    body: str,
    end_user: str | None = END_USER,
    agent: str | None = None,
    bot: str | None = None,
) -> MessageDraft:
    message_id = str(uuid_module.uuid4())
    public = schemas.Message(
        id=message_id,
        status="delivered",
        type="text",
        body=body,
        file=None,
        review=None,
        bot=None,
        agent=None,
        end_user=None,  # what the writer does not look at: the services render it
        microseconds=0,
        uuid=uuid,
        conversation_id=conversation,
        source="api",
        created_at=0,
        updated_at=0,
    )
    return MessageDraft(
        id=message_id,
        workspace_id=WORKSPACE,
        conversation_id=conversation,
        client_uuid=uuid,
        request_digest=body,
        type="text",
        status="delivered",
        source="api",
        public=public,
        event_id=message_id,  # an id of its own table: the message's will do
        body=body,
        end_user_id=end_user,
        agent_id=agent,
        bot_id=bot,
    )


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def seeded(url: str) -> AsyncIterator[Database]:
    """A database holding one workspace, its end user and two open conversations."""
    async with opened(url) as db:
        await db.write(_seed)
        yield db


def _seed(tx: Transaction) -> None:
    workspace_repo.add_workspace(
        tx.conn, id=WORKSPACE, name="w", site_key="k", is_demo=False, settings={}, created_at=1, updated_at=1
    )
    people_repo.add_end_user(tx.conn, id=END_USER, workspace_id=WORKSPACE, meta={}, created_at=1, updated_at=1)
    people_repo.add_agent(
        tx.conn, id=AGENT, workspace_id=WORKSPACE, service_user_id="a", name="a", status="offline",
        availability="online", active=True, created_us=1, created_at=1, updated_at=1,
    )  # fmt: skip
    workspace_repo.add_bot(tx.conn, id=BOT, workspace_id=WORKSPACE, name="b", created_at=1, updated_at=1)
    for conversation in CONVERSATIONS:
        conversation_repo.add_conversation(
            tx.conn,
            id=conversation,
            workspace_id=WORKSPACE,
            end_user_id=END_USER,
            locked=False,
            last_microseconds=0,
            created_us=1,
            created_at=1,
            updated_at=1,
        )


def nobody_reopens(_tx: Transaction, _conversation_ids: list[str]) -> None:
    """What a visitor's message does beyond being stored is the services' rule (test_conversation_status)."""


@asynccontextmanager
async def started(
    db: Database, clock: list[int], visitors_wrote: VisitorsWrote = nobody_reopens
) -> AsyncIterator[MessageWriter]:
    writer = MessageWriter(db, lambda: clock[0], max_batch=16, visitors_wrote=visitors_wrote)
    writer.start()
    try:
        yield writer
    finally:
        await writer.stop()


FreshDatabase = Callable[[], Awaitable[str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, sqlite_template_path: Path, tmp_path: Path) -> FreshDatabase:
    """A new empty database at each call (each of hypothesis's examples needs one): a copy of the SQLite template,
    or the PostgreSQL test database emptied. PostgreSQL writes most batches in one statement, SQLite in a
    transaction (`parley.storage.postgresql_batch`): the writer's promises hold on both ways."""

    async def fresh() -> str:
        if request.param == "postgresql":
            url: str = request.getfixturevalue("postgres_url")
            await truncate_postgres(url)
            return url
        return sqlite_url_from_template(sqlite_template_path, Path(tempfile.mkdtemp(dir=tmp_path)))

    return fresh


@asynccontextmanager
async def running_writer(url: str, clock: list[int]) -> AsyncIterator[tuple[Database, MessageWriter]]:
    async with seeded(url) as db, started(db, clock) as writer:
        yield db, writer


async def stored_messages(db: Database) -> list[MessageRecord]:
    return await db.read(_stored_messages)


def _stored_messages(conn: Connection) -> list[MessageRecord]:
    rows = conn.execute(select(Message).order_by(Message.conversation_id, Message.microseconds))
    return [MessageRecord.from_row(row) for row in rows]


sends = st.lists(
    st.tuples(st.sampled_from(CONVERSATIONS), st.sampled_from(["a", "b", "c", "d", None]), st.sampled_from(["x", "y"])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sends=sends, clock_steps=st.lists(st.integers(-5, 5), min_size=1, max_size=5))
def test_concurrent_sends_store_each_uuid_once_in_increasing_order(
    fresh_database: FreshDatabase, sends: list[tuple[str, str | None, str]], clock_steps: list[int]
) -> None:
    async def scenario() -> None:
        clock = [1_700_000_000_000_000]
        async with running_writer(await fresh_database(), clock) as (db, writer):

            async def send(index: int, item: tuple[str, str | None, str]) -> WriteResult:
                clock[0] += clock_steps[index % len(clock_steps)]  # a clock that may step backwards
                return await writer.submit(draft(*item))

            results = await asyncio.gather(*(send(i, item) for i, item in enumerate(sends)))
            stored = await stored_messages(db)

        by_key: dict[tuple[str, str], str] = {}
        for (conversation, uuid, _), result in zip(sends, results, strict=True):
            assert result.outcome in (Outcome.STORED, Outcome.DUPLICATE)
            assert result.message is not None
            if uuid is not None:
                assert by_key.setdefault((conversation, uuid), result.message.id) == result.message.id
        expected = len({(c, u) for c, u, _ in sends if u is not None}) + sum(1 for _, u, _ in sends if u is None)
        assert len(stored) == expected
        assert sum(r.outcome is Outcome.STORED for r in results) == expected
        for conversation in CONVERSATIONS:
            positions = [m.microseconds for m in stored if m.conversation_id == conversation]
            assert positions == sorted(set(positions)), "strictly increasing, no repeats"

    asyncio.run(scenario())


# Who writes: the visitor, an agent (text, or a note, which answers nobody), or the bot
AUTHORS = {
    "visitor": {},
    "agent": {"end_user": None, "agent": AGENT},
    "bot": {"end_user": None, "bot": BOT},
}
authored_sends = st.lists(
    st.tuples(st.sampled_from(CONVERSATIONS), st.sampled_from(["a", "b", "c", None]), st.sampled_from(sorted(AUTHORS))),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(authored_sends, min_size=1, max_size=3))
def test_the_wait_kept_batch_by_batch_is_the_wait_the_history_says(
    fresh_database: FreshDatabase, rounds: list[list[tuple[str, str | None, str]]]
) -> None:
    """Whatever arrives together, resent uuids included, `waiting_since` after each round of concurrent sends is
    what the stored history says it is: the first visitor message since the last agent text."""

    async def scenario() -> None:
        clock = [1_700_000_000_000_000]
        async with running_writer(await fresh_database(), clock) as (db, writer):
            for number, sends in enumerate(rounds):
                clock[0] += 1_500_000 * number  # rounds in different seconds
                await asyncio.gather(
                    *(writer.submit(draft(c, u and f"{author}-{u}", "x", **AUTHORS[author])) for c, u, author in sends)
                )
                kept = await db.read(waits)
                await db.write(lambda tx: conversation_repo.recount_waiting(tx.conn, CONVERSATIONS))
                assert kept == await db.read(waits)

    asyncio.run(scenario())


def waits(conn: Connection) -> dict[str, int | None]:
    return {
        c: found.waiting_since
        for c in CONVERSATIONS
        if (found := conversation_repo.get_conversation(conn, WORKSPACE, c))
    }


async def test_visitors_wrote_hears_of_the_conversations_not_open_the_visitor_wrote_to(
    fresh_database: FreshDatabase,
) -> None:
    heard: list[list[str]] = []

    def visitors_wrote(_tx: Transaction, conversation_ids: list[str]) -> None:
        heard.append(conversation_ids)

    clock = [1_700_000_000_000_000]
    async with seeded(await fresh_database()) as db, started(db, clock, visitors_wrote) as writer:
        await writer.submit(draft(CONVERSATIONS[0], "open-1", "x"))
        assert heard == [], "an open conversation: nothing more"

        await db.write(lambda tx: conversation_repo.update_conversation(tx.conn, CONVERSATIONS[0], status="pending"))
        await writer.submit(draft(CONVERSATIONS[0], "agent", "x", end_user=None, agent=AGENT))
        await writer.submit(draft(CONVERSATIONS[0], "open-1", "x"))
        assert heard == [], "an agent's message, a resent one: nothing more"

        await asyncio.gather(*(writer.submit(draft(c, f"v{i}", "x")) for i in range(5) for c in CONVERSATIONS))
    # Sends queued together share a batch (see test_sends_a_step_behind_the_first_share_its_batch): one call each.
    assert heard and all(ids == [CONVERSATIONS[0]] for ids in heard), "only the conversation not open"


async def test_a_locked_conversation_stores_nothing(fresh_database: FreshDatabase) -> None:
    async with running_writer(await fresh_database(), [1_700_000_000_000_000]) as (db, writer):

        def lock(tx: Transaction) -> None:
            conversation_repo.update_conversation(tx.conn, CONVERSATIONS[0], locked=True)

        await db.write(lock)
        locked, open_ = await asyncio.gather(
            writer.submit(draft(CONVERSATIONS[0], "a", "x")), writer.submit(draft(CONVERSATIONS[1], "a", "x"))
        )
        assert locked.outcome is Outcome.LOCKED
        assert open_.outcome is Outcome.STORED
        assert [m.conversation_id for m in await stored_messages(db)] == [CONVERSATIONS[1]]


async def test_one_bad_draft_does_not_sink_its_batch(fresh_database: FreshDatabase) -> None:
    async with running_writer(await fresh_database(), [1_700_000_000_000_000]) as (db, writer):
        good = [writer.submit(draft(CONVERSATIONS[0], f"u{i}", "x")) for i in range(5)]
        bad = writer.submit(draft(CONVERSATIONS[0], "bad", "x", end_user="00000000-0000-4000-8000-0000000000ff"))
        results = await asyncio.gather(*good, bad, return_exceptions=True)
        assert all(isinstance(r, WriteResult) and r.outcome is Outcome.STORED for r in results[:5])
        assert isinstance(results[5], Exception)
        assert len(await stored_messages(db)) == 5


async def test_events_are_written_with_their_messages_and_published_after_commit(fresh_database: FreshDatabase) -> None:
    published: list[str] = []
    async with running_writer(await fresh_database(), [1_700_000_000_000_000]) as (db, writer):

        def publish(events: object) -> None:
            published.extend(e.id for e in events)  # type: ignore[attr-defined]

        db.add_publisher(publish)
        result = await writer.submit(draft(CONVERSATIONS[0], "a", "x"))
        assert result.message is not None

        def outbox_ids(conn: Connection) -> list[str]:
            return [row.id for row in conn.execute(select(Event))]

        outbox = await db.read(outbox_ids)
        assert outbox == published == [result.message.id]


async def test_a_sender_that_goes_away_still_has_its_message_stored(fresh_database: FreshDatabase) -> None:
    async with running_writer(await fresh_database(), [1_700_000_000_000_000]) as (db, writer):
        task = asyncio.create_task(writer.submit(draft(CONVERSATIONS[0], "a", "x")))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        retried = await writer.submit(draft(CONVERSATIONS[0], "a", "x"))
        assert retried.outcome is Outcome.DUPLICATE
        assert len(await stored_messages(db)) == 1


async def test_another_process_holding_the_write_lock_is_waited_for_without_stalling_the_server(
    sqlite_template_path: Path, tmp_path: Path
) -> None:
    """SQLite batches are written on the writer thread, which waits for a lock held elsewhere in SQLite's busy
    handler: that must freeze neither the event loop nor the reads."""
    async with running_writer(sqlite_url_from_template(sqlite_template_path, tmp_path), [1_700_000_000_000_000]) as (
        db,
        writer,
    ):
        database_file = db.url.split("///", 1)[1]
        other_process = sqlite3.connect(database_file, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")  # e.g. `parley purge` in the middle of its transaction
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        sending = asyncio.create_task(writer.submit(draft(CONVERSATIONS[0], "a", "x")))
        await asyncio.sleep(0.3)
        assert not sending.done()
        assert ticks >= 10, "the event loop kept running while the writer waited"
        assert await asyncio.wait_for(stored_messages(db), timeout=5) == [], "a read does not queue behind it"
        other_process.execute("COMMIT")
        other_process.close()
        result = await asyncio.wait_for(sending, timeout=5)
        ticking.cancel()
        assert result.outcome is Outcome.STORED
        assert len(await stored_messages(db)) == 1


async def test_writers_of_two_processes_lock_shared_conversations_in_one_order(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On PostgreSQL a batch holds its conversations' row locks until it commits. Two processes whose batches name
    the same conversations in opposite orders must not deadlock (PostgreSQL would abort one after a second, and
    its batch would be retried message by message)."""
    await truncate_postgres(postgres_url)
    clock = [1_700_000_000_000_000]
    async with (
        seeded(postgres_url) as db,
        started(db, clock) as first,
        started(Database(postgres_url), clock) as second,
    ):
        for round_ in range(10):
            forwards = [first.submit(draft(c, f"f{round_}-{c}", "x")) for c in CONVERSATIONS]
            backwards = [second.submit(draft(c, f"b{round_}-{c}", "x")) for c in reversed(CONVERSATIONS)]
            results = await asyncio.gather(*forwards, *backwards)
            assert all(r.outcome is Outcome.STORED for r in results)
        assert len(await stored_messages(db)) == 40
    assert "one by one" not in caplog.text


async def test_a_batch_is_one_round_trip_on_postgresql(postgres_url: str) -> None:
    """On PostgreSQL a batch costs its round trips, counted on the wire: the common case (open conversations, new
    uuids, the positions the clock gives free) is one statement, with no ping, BEGIN or COMMIT around it; what it
    cannot take goes on to a transaction."""
    await truncate_postgres(postgres_url)
    clock = [1_700_000_000_000_000]
    async with counting_relay(postgres_url) as (url, round_trips), seeded(url) as db, started(db, clock) as writer:
        await writer.submit(draft(CONVERSATIONS[0], "first", "x"))  # the pool's connection is up and prepared
        for round_ in range(3):
            clock[0] += 1000
            before = round_trips.count
            batch = [writer.submit(draft(c, f"{round_}-{i}", "x")) for i in range(4) for c in CONVERSATIONS]
            assert all(r.outcome is Outcome.STORED for r in await asyncio.gather(*batch))
            assert round_trips.count - before == 1, "one round trip a batch"

        before = round_trips.count
        resent = await writer.submit(draft(CONVERSATIONS[0], "first", "x"))
        assert resent.outcome is Outcome.DUPLICATE
        assert round_trips.count - before > 1, "a resent uuid: the statement leaves it to a transaction"
        assert len(await stored_messages(db)) == 25


async def test_a_batch_does_not_wait_for_the_pool_behind_reads_on_postgresql(postgres_url: str) -> None:
    """The writer has a connection of its own: with every connection of the pool held by a slow read, a message is
    stored while the reads still run (sharing the pool, it waited for one of them to end)."""
    await truncate_postgres(postgres_url)
    async with seeded(postgres_url) as db, started(db, [1_700_000_000_000_000]) as writer:
        pool_held, reads_may_end = asyncio.Event(), asyncio.Event()
        reading = 0

        def slow_read(conn: Connection) -> None:
            nonlocal reading
            conn.execute(text("SELECT 1"))
            reading += 1
            if reading == 2 * POSTGRES_POOL:  # the pool and its overflow
                pool_held.set()
            while not reads_may_end.is_set():  # the read holds its connection until the write is done
                conn.execute(text("SELECT pg_sleep(0.05)"))

        reads = [asyncio.create_task(db.read(slow_read)) for _ in range(2 * POSTGRES_POOL)]
        await pool_held.wait()
        stored = await writer.submit(draft(CONVERSATIONS[0], "while-reading", "x"))
        assert stored.outcome is Outcome.STORED
        assert not any(read.done() for read in reads)
        reads_may_end.set()
        await asyncio.gather(*reads)


def wal_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number, which SQLite counts up each time it starts the WAL over."""
    with wal.open("rb") as header:
        return int.from_bytes(header.read(16)[12:16], "big")


def wal_bytes(wal: Path) -> int:
    return wal.stat().st_size


async def test_the_write_ahead_log_is_started_over_while_writes_never_pause(
    sqlite_template_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under steady load the WAL must be written over from its start now and then, or it grows (on disk, and in
    what every read looks through) for as long as the load lasts: before, 140 MB after 14,000 messages.
    https://sqlite.org/fileformat2.html#walformat describes the header."""
    monkeypatch.setattr(sqlite, "CHECKPOINT_SECONDS", 0.05)
    async with running_writer(sqlite_url_from_template(sqlite_template_path, tmp_path), [1_700_000_000_000_000]) as (
        db,
        writer,
    ):
        db.start()  # the checkpoints
        wal = Path(db.url.split("///", 1)[1] + "-wal")
        restarts: set[int] = set()
        for round_ in range(60):
            await asyncio.gather(
                *(writer.submit(draft(CONVERSATIONS[0], f"{round_}-{i}", "x" * 2000)) for i in range(100))
            )
            restarts.add(wal_restarts(wal))
        assert len(await stored_messages(db)) == 6000
    assert len(restarts) >= 3, f"the WAL was started over {len(restarts) - 1} times"


def batches_written() -> tuple[float, float]:
    """The writer's batch-size histogram, as /metrics shows it: (batches, messages)."""
    [histogram] = metrics.WRITE_BATCH_SIZE.collect()
    totals = {sample.name: sample.value for sample in histogram.samples}
    return totals["parley_write_batch_size_count"], totals["parley_write_batch_size_sum"]


@pytest.fixture
def metrics_on() -> Iterator[None]:
    was_on = metrics.enabled()
    metrics.configure(True)
    yield
    metrics.configure(was_on)


@pytest.mark.usefixtures("metrics_on")
async def test_sends_a_step_behind_the_first_share_its_batch(sqlite_template_path: Path, tmp_path: Path) -> None:
    """Under load the first draft wakes the writer while other requests are one resumed await short of theirs."""
    async with running_writer(sqlite_url_from_template(sqlite_template_path, tmp_path), [1_700_000_000_000_000]) as (
        _db,
        writer,
    ):

        async def send(index: int, steps_before: int) -> WriteResult:
            for _ in range(steps_before):
                await asyncio.sleep(0)
            return await writer.submit(draft(CONVERSATIONS[index % 2], f"u{index}", "x"))

        before = batches_written()
        results = await asyncio.gather(send(0, 0), *(send(i, 1) for i in range(1, 10)))
        after = batches_written()
    assert all(r.outcome is Outcome.STORED for r in results)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 10)


async def test_the_write_ahead_log_is_cut_back_after_a_burst(
    sqlite_template_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite writes a started-over WAL in place: without a limit its file keeps the size of the largest burst."""
    limit = 256 * 1024
    monkeypatch.setattr(sqlite, "CHECKPOINT_SECONDS", 0.05)
    monkeypatch.setattr(sqlite, "WAL_SIZE_LIMIT_BYTES", limit)
    async with running_writer(sqlite_url_from_template(sqlite_template_path, tmp_path), [1_700_000_000_000_000]) as (
        db,
        writer,
    ):
        db.start()
        wal = Path(db.url.split("///", 1)[1] + "-wal")
        await asyncio.gather(*(writer.submit(draft(CONVERSATIONS[0], f"burst-{i}", "x" * 10_000)) for i in range(200)))
        burst = wal_bytes(wal)
        for round_ in range(100):
            await writer.submit(draft(CONVERSATIONS[1], f"after-{round_}", "x"))
            if wal_bytes(wal) <= limit:
                break
            await asyncio.sleep(0.05)
        kept = wal_bytes(wal)
        assert len(await stored_messages(db)) == 200 + round_ + 1
    assert burst > 4 * limit
    assert kept <= limit, f"the WAL kept {kept} bytes after its {burst}-byte burst"
