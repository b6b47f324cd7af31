"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from parley.storage.database import Database, Transaction
from parley.storage.migrate import alembic_config, upgrade_async
from parley.storage.models import Base
from parley.storage.records import NewEvent
from parley.storage.search_schema import include_name
from tests.support.databases import create_postgres_database, drop_postgres_database

WORKSPACE_W1 = (  # the workspace the data of an earlier version belongs to
    "INSERT INTO workspaces (id, name, site_key, is_demo, settings, created_at, updated_at)"
    " VALUES ('w1', 'w1', 'w1', false, '{}', 0, 0)"
)
END_USER_U1 = "INSERT INTO end_users (id, workspace_id, meta, created_at, updated_at) VALUES ('u1', 'w1', '{}', 0, 0)"
CONVERSATION_C1 = (  # u1's, in w1
    "INSERT INTO conversations (id, workspace_id, end_user_id, locked, last_microseconds, created_us, created_at,"
    " updated_at) VALUES ('c1', 'w1', 'u1', false, 4, 0, 0, 0)"
)


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_async_engine(database_url)

    def differences(connection: Connection) -> list[object]:
        return list(
            compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), Base.metadata)
        )

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


def test_a_migrated_sqlite_file_is_already_in_wal_mode(sqlite_template_path: Path) -> None:
    """Switching a file to WAL needs it alone: left to a server's first connections, two of them racing to do it
    failed with "database is locked" (seen in CI once the outbox pruner read at startup)."""
    with contextlib.closing(sqlite3.connect(sqlite_template_path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
        return
    url = create_postgres_database(migrated=False)
    yield url
    drop_postgres_database(url)


async def test_events_of_an_earlier_version_get_stream_positions_and_new_ones_follow(unmigrated_url: str) -> None:
    """0007 numbers each workspace's events in the order they were written and starts its counter after them."""
    await asyncio.to_thread(command.upgrade, alembic_config(unmigrated_url), "0006")
    engine = create_async_engine(unmigrated_url)
    async with engine.begin() as conn:
        for workspace in ("w1", "w2"):
            await conn.execute(
                text(
                    "INSERT INTO workspaces (id, name, site_key, is_demo, settings, created_at, updated_at)"
                    " VALUES (:id, :id, :id, false, '{}', 0, 0)"
                ),
                {"id": workspace},
            )
        for n, workspace in enumerate(["w1", "w2", "w1", "w1", "w2"]):
            await conn.execute(
                text(
                    "INSERT INTO events (id, workspace_id, conversation_id, name, payload, microseconds, created_at)"
                    " VALUES (:id, :workspace, NULL, 'agent.status_changed', '{}', 5, 0)"
                ),
                {"id": f"e{n}", "workspace": workspace},
            )
    await engine.dispose()

    await upgrade_async(unmigrated_url)

    db = Database(unmigrated_url)
    published: list[NewEvent] = []
    db.add_publisher(published.extend)

    def emit(tx: Transaction) -> None:
        tx.emit(NewEvent("e5", "w1", None, "agent.status_changed", "{}", 6, 0))

    def streams(conn: Connection) -> tuple[list[Any], dict[str, int]]:
        stored = conn.execute(text("SELECT id, stream_position FROM events ORDER BY position")).all()
        heads: dict[str, int] = dict(conn.execute(text("SELECT workspace_id, position FROM workspace_streams")).all())
        return list(stored), heads

    await db.write(emit)
    stored, heads = await db.read(streams)
    await db.dispose()
    assert [tuple(row) for row in stored] == [("e0", 1), ("e1", 1), ("e2", 2), ("e3", 3), ("e4", 2), ("e5", 4)]
    assert heads == {"w1": 4, "w2": 2}
    assert [event.stream_position for event in published] == [4]


async def test_agents_of_an_earlier_version_are_available_and_offline_until_a_console_connects(
    unmigrated_url: str,
) -> None:
    """0010: the status an agent had been given is not a choice they made (it followed their consoles), so every agent
    starts `online` by choice and `offline` in status, which their next console sets again."""
    await asyncio.to_thread(command.upgrade, alembic_config(unmigrated_url), "0009")
    engine = create_async_engine(unmigrated_url)
    async with engine.begin() as conn:
        await conn.execute(text(WORKSPACE_W1))
        for agent, status in (("a1", "online"), ("a2", "offline")):
            await conn.execute(
                text(
                    "INSERT INTO agents (id, workspace_id, service_user_id, name, status, active, created_us,"
                    " created_at, updated_at) VALUES (:id, 'w1', :id, :id, :status, true, 0, 0, 0)"
                ),
                {"id": agent, "status": status},
            )
    await engine.dispose()

    await upgrade_async(unmigrated_url)

    db = Database(unmigrated_url)
    rows = await db.read(
        lambda conn: conn.execute(text("SELECT id, availability, status FROM agents ORDER BY id")).all()
    )
    await db.dispose()
    assert [tuple(row) for row in rows] == [("a1", "online", "offline"), ("a2", "online", "offline")]


async def test_messages_of_an_earlier_version_get_the_source_their_author_tells(unmigrated_url: str) -> None:
    """0012: an agent's message came through the console, the bot's count as the API's; a visitor's (widget or
    External API, which nothing stored tells apart) and one whose author is gone read `widget`."""
    await asyncio.to_thread(command.upgrade, alembic_config(unmigrated_url), "0010")
    engine = create_async_engine(unmigrated_url)
    async with engine.begin() as conn:
        for statement in (
            WORKSPACE_W1,
            "INSERT INTO agents (id, workspace_id, service_user_id, name, status, active, created_us, created_at,"
            " updated_at) VALUES ('a1', 'w1', 'a1', 'a1', 'offline', true, 0, 0, 0)",
            END_USER_U1,
            "INSERT INTO bots (id, workspace_id, name, created_at, updated_at) VALUES ('b1', 'w1', 'Bot', 0, 0)",
            CONVERSATION_C1,
        ):
            await conn.execute(text(statement))
        for microseconds, (message, author) in enumerate(
            [("by-agent", "agent_id"), ("by-bot", "bot_id"), ("by-visitor", "end_user_id"), ("orphan", None)], 1
        ):
            author_ids = {"agent_id": None, "bot_id": None, "end_user_id": None}
            if author is not None:
                author_ids[author] = {"agent_id": "a1", "bot_id": "b1", "end_user_id": "u1"}[author]
            await conn.execute(
                text(
                    "INSERT INTO messages (id, workspace_id, conversation_id, status, type, body, agent_id, bot_id,"
                    " end_user_id, microseconds, created_at, updated_at) VALUES (:id, 'w1', 'c1', 'delivered',"
                    " 'text', 'hello', :agent_id, :bot_id, :end_user_id, :microseconds, 0, 0)"
                ),
                {"id": message, "microseconds": microseconds, **author_ids},
            )
    await engine.dispose()

    await upgrade_async(unmigrated_url)

    db = Database(unmigrated_url)
    rows = await db.read(lambda conn: conn.execute(text("SELECT id, source FROM messages ORDER BY microseconds")).all())
    await db.dispose()
    assert [tuple(row) for row in rows] == [
        ("by-agent", "console"),
        ("by-bot", "api"),
        ("by-visitor", "widget"),
        ("orphan", "widget"),
    ]


async def test_events_of_an_earlier_version_keep_notes_from_visitors_and_name_their_assigned_agent(
    unmigrated_url: str,
) -> None:
    """0017: a visitor's replay routes by the events' columns, so the notes stored before are marked agents only
    and each assignment names its agent; other events are for everyone."""
    await asyncio.to_thread(command.upgrade, alembic_config(unmigrated_url), "0016")
    frames = {
        "note": ("message.created", '{"event":"message.created","data":{"id":"m1","type":"note","body":"x"}}'),
        "text": ("message.created", '{"event":"message.created","data":{"id":"m2","type":"text","body":"a note"}}'),
        "meta": (  # an end user's meta may say "type":"note": the message's own type decides
            "message.created",
            '{"event":"message.created","data":{"type":"text","endUser":{"meta":{"type":"note"}}}}',
        ),
        "assigned": ("conversation.assigned", '{"event":"conversation.assigned","data":{"assignedAgent":{"id":"a1"}}}'),
    }
    engine = create_async_engine(unmigrated_url)
    async with engine.begin() as conn:
        await conn.execute(text(WORKSPACE_W1))
        for position, (event_id, (name, payload)) in enumerate(frames.items(), 1):
            await conn.execute(
                text(
                    "INSERT INTO events (id, workspace_id, conversation_id, name, payload, microseconds,"
                    " stream_position, created_at) VALUES (:id, 'w1', 'c1', :name, :payload, :position, :position, 0)"
                ),
                {"id": event_id, "name": name, "payload": payload, "position": position},
            )
    await engine.dispose()

    await upgrade_async(unmigrated_url)

    db = Database(unmigrated_url)
    query = "SELECT id, agents_only, agent_id FROM events ORDER BY stream_position"
    rows = await db.read(lambda conn: conn.execute(text(query)).all())
    await db.dispose()
    assert [(row[0], bool(row[1]), row[2]) for row in rows] == [
        ("note", True, None),
        ("text", False, None),
        ("meta", False, None),
        ("assigned", False, "a1"),
    ]


async def test_postgresql_search_indexes_move_their_pending_words_into_the_index_every_64_kb() -> None:
    """0018: a GIN index appends new rows' words to a pending list, and the insert that finds it full moves all of it
    into the index in its own statement; at PostgreSQL's default of 4 MB that was a message batch taking 60 ms. Here
    the list never holds more than 64 kB (8 pages) while thousands of messages with words of their own are written."""
    url = create_postgres_database()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE EXTENSION pgstattuple"))  # pgstatginindex: the pending list's size
            for statement in (WORKSPACE_W1, END_USER_U1, CONVERSATION_C1):
                await conn.execute(text(statement))
        pending_pages = []
        for chunk in range(10):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO messages (id, workspace_id, conversation_id, status, type, body, end_user_id,"
                        " microseconds, created_at, updated_at) SELECT 'm' || n, 'w1', 'c1', 'delivered', 'text',"
                        " 'hello word' || n || ' and word' || (n * 7), 'u1', n, 0, 0"
                        " FROM generate_series(:first, :first + 299) AS n"
                    ),
                    {"first": chunk * 300 + 1},
                )
                pages = await conn.scalar(text("SELECT pending_pages FROM pgstatginindex('ix_messages_search')"))
                pending_pages.append(pages)
    finally:
        await engine.dispose()
        drop_postgres_database(url)
    assert max(pending_pages) <= 8, pending_pages
    assert sum(pending_pages) > 0, pending_pages  # the list is in use: words wait in it, and move on at its limit
