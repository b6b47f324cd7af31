"""Messages, the files they carry and the reviews they hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from parley.schemas.messages import NOTE
from parley.storage.bulk import insert_rows
from parley.storage.models import Bot, Message, Review, StoredFile
from parley.storage.records import BotRecord, FileRecord, MessageRecord, ReviewRecord
from parley.storage.repositories._query import fetch_all, fetch_by_ids, fetch_one

_UUID_KEY = [Message.conversation_id, Message.client_uuid]
_INSERT_NEW_SQLITE = sqlite.insert(Message).on_conflict_do_nothing(index_elements=_UUID_KEY)
_INSERT_NEW_POSTGRESQL = (
    postgresql.insert(Message).on_conflict_do_nothing(index_elements=_UUID_KEY).returning(Message.id)
)
_STORED_IDS = select(Message.id).where(Message.id.in_(bindparam("ids", expanding=True)))


def insert_new_messages(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert, skipping any (conversation, uuid) another writer stored first; returns the ids stored.

    PostgreSQL: one multi-row INSERT ... RETURNING (one round trip). SQLite: an executemany, which pysqlite loops
    in C, where SQLAlchemy's RETURNING batches cost some 10 µs of Python a row; its rowcount (summed over the rows)
    says whether every row was stored, and only when not are the stored ids read back.
    """
    if conn.dialect.name == "postgresql":
        inserted = conn.execute(_INSERT_NEW_POSTGRESQL, rows)
        return {row.id for row in inserted}
    ids = [row["id"] for row in rows]
    if insert_rows(conn, _INSERT_NEW_SQLITE, rows, in_few_statements=True) == len(rows):
        return set(ids)
    return set(conn.execute(_STORED_IDS, {"ids": ids}).scalars())


def messages_with_client_uuids(
    conn: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], MessageRecord]:
    """Two IN lists (served by the unique index), narrowed to the exact pairs here: an OR of pairs is not."""
    wanted = set(keys)
    if not wanted:
        return {}
    stmt = select(Message).where(
        Message.conversation_id.in_(sorted({c for c, _ in wanted})),
        Message.client_uuid.in_(sorted({u for _, u in wanted})),
    )
    result = conn.execute(stmt)
    found = (MessageRecord.from_row(row) for row in result)
    return {key: m for m in found if (key := (m.conversation_id, m.client_uuid or "")) in wanted}


def message_page(
    conn: Connection,
    conversation_id: str,
    limit: int,
    *,
    after: int = 0,
    before: int | None = None,
    with_notes: bool = True,
) -> list[MessageRecord]:
    """The `limit` messages just after `after` or, with `before`, just before it; ascending either way. Without
    `with_notes`, the agents' notes are skipped (what a visitor may see).

    Both are one range scan of the (conversation_id, microseconds) unique index, forwards or backwards, on SQLite
    and PostgreSQL alike: the newest page of a long conversation costs what its first page does."""
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if not with_notes:
        stmt = stmt.where(Message.type != NOTE)
    if before is None:
        stmt = stmt.where(Message.microseconds > after).order_by(Message.microseconds)
    else:
        stmt = stmt.where(Message.microseconds < before).order_by(Message.microseconds.desc())
    page = fetch_all(conn, stmt.limit(limit), MessageRecord)
    return page if before is None else page[::-1]


def mark_read(
    conn: Connection, conversation_id: str, until: int, by_end_user: bool, now: int
) -> tuple[int, MessageRecord | None]:
    """The other side's messages up to `until` become `read`, in one statement: how many changed, and the newest of
    them (what a receipt's one event reports), read back on the (conversation_id, microseconds) index. The agents'
    notes are nobody's to read: the visitor never sees them, so their receipt must not report one."""
    authored_by_other_side = (
        and_(or_(Message.agent_id.is_not(None), Message.bot_id.is_not(None)), Message.type != NOTE)
        if by_end_user
        else Message.end_user_id.is_not(None)
    )
    stmt = (
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.microseconds <= until,
            Message.status != "read",
            authored_by_other_side,
        )
        .values(status="read", updated_at=now)
        .returning(Message.microseconds)
    )
    marked = conn.execute(stmt).scalars().all()
    if not marked:
        return 0, None
    newest = select(Message).where(Message.conversation_id == conversation_id, Message.microseconds == max(marked))
    return len(marked), fetch_one(conn, newest, MessageRecord)


def last_messages(conn: Connection, conversation_ids: Sequence[str]) -> dict[str, MessageRecord]:
    if not conversation_ids:
        return {}
    newest = (
        select(Message.conversation_id, func.max(Message.microseconds).label("newest"))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
        .subquery()
    )
    stmt = select(Message).join(
        newest, (Message.conversation_id == newest.c.conversation_id) & (Message.microseconds == newest.c.newest)
    )
    return {m.conversation_id: m for m in fetch_all(conn, stmt, MessageRecord)}


def unread_counts(conn: Connection, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Messages from the visitor that no agent has read yet."""
    if not conversation_ids:
        return {}
    stmt = (
        select(Message.conversation_id, func.count())
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.end_user_id.is_not(None),
            Message.status != "read",
        )
        .group_by(Message.conversation_id)
    )
    return {row[0]: int(row[1]) for row in conn.execute(stmt)}


def add_file(conn: Connection, **values: Any) -> None:
    conn.execute(insert(StoredFile).values(**values))


def files_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, FileRecord]:
    return fetch_by_ids(conn, StoredFile, ids, FileRecord)


def add_review(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Review).values(**values))


def reviews_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, ReviewRecord]:
    return fetch_by_ids(conn, Review, ids, ReviewRecord)


# The bot's away message
def away_context(
    conn: Connection, workspace_id: str, conversation_id: str, away_uuids: list[str], agent_since_us: int
) -> tuple[BotRecord, int | None, bool] | None:
    """The workspace's bot, the `microseconds` of the conversation's latest message among `away_uuids` (None when
    none is stored), and whether an agent wrote there after `agent_since_us`, in one round trip.

    All three are index lookups: the bot by its workspace; the uuids on the (conversation_id, client_uuid) unique
    index; the agent's messages on the (conversation_id, microseconds) one, only as far back as `agent_since_us`.
    An agent's note is not writing to the visitor: it does not keep the away message back."""
    last_away = (
        select(func.max(Message.microseconds))
        .where(Message.conversation_id == conversation_id, Message.client_uuid.in_(away_uuids))
        .scalar_subquery()
    )
    agent_wrote = (
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.microseconds > agent_since_us,
            Message.agent_id.is_not(None),
            Message.type != NOTE,
        )
        .exists()
    )
    stmt = select(Bot, last_away.label("last_away"), agent_wrote.label("agent_wrote")).where(
        Bot.workspace_id == workspace_id
    )
    row = conn.execute(stmt).first()
    if row is None:
        return None
    return BotRecord.from_row(row), None if row.last_away is None else int(row.last_away), bool(row.agent_wrote)
