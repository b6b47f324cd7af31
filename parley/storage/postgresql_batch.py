"""A batch of messages in one PostgreSQL statement: one round trip, no BEGIN, no COMMIT.

On PostgreSQL a batch's cost is its round trips (each one is a wake-up of the server process and of ours). The
transaction of `message_writer.write_messages` takes one a conversation, then the messages, the stream bump with the
webhooks, the events, the deliveries, and BEGIN and COMMIT around them. Here the same writes are one statement of
data-modifying CTEs over arrays, which PostgreSQL runs atomically on its own (autocommit).

It covers the common case, and only that: the positions the clock gives (`now`, `now + 1`, ... in each
conversation) are free, and the conversation takes messages (not locked; open, or no visitor message to reopen it).
A conversation that does not qualify is left untouched, and the caller writes its messages in a transaction as
before. So the positions and the events' payloads are final before the statement is sent: the statement only checks
that they are free. A uuid stored before (a resent message) fails the whole statement on the unique index, which
then has written nothing, and the batch goes to the transaction, which answers it as a duplicate. Looking the uuids
up first instead cost more than it saved: PostgreSQL's cached generic plan for the statement scanned the messages
table, and the statement's cost grew with the table (measured: 270 µs of server CPU a message at 5,000 messages,
1,250 at 29,000; without the lookup, 190 flat).

Rows lock in one global order, as in the transaction: conversations by id (the moves come sorted, and each is
locked as its turn comes in the join), then workspace streams by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, FromClause, TextClause, text
from sqlalchemy.dialects import postgresql

from parley.storage.database import Written
from parley.storage.models import Event, Message
from parley.storage.records import MessageRecord, NewEvent
from parley.storage.repositories.webhooks import PENDING

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
MESSAGE_CREATED = "message.created"


@dataclass(frozen=True, slots=True)
class ConversationMove:
    """What the batch does to one conversation: its last position after the batch, and its wait (see
    `conversations.wait_change`): the second the wait still running after the batch started (None: none started
    in it), whether the batch ended the wait that ran before, and whether a visitor wrote (which a conversation
    that is not open must answer by reopening: not here)."""

    conversation_id: str
    last_microseconds: int
    wait_start: int | None
    wait_ends: bool
    visitor_wrote: bool


def store(
    conn: Connection,
    now_us: int,
    moves: Sequence[ConversationMove],
    messages: Sequence[MessageRecord],
    events: Sequence[NewEvent],
) -> Written[set[str]]:
    """Store `messages` (each with its `message.created` event in `events`, in the same order) in the conversations
    of `moves` (sorted by id) that still qualify at `now_us`; returns the conversations taken, with the events as
    placed."""
    params: dict[str, Any] = {"now": now_us, "now_seconds": now_us // 1_000_000, "pending": PENDING}
    params["event_name"] = MESSAGE_CREATED
    for name in _MOVE_COLUMNS:
        params[f"move_{name}"] = [getattr(move, name) for move in moves]
    for name in _MESSAGE_COLUMNS:
        params[f"message_{name}"] = [getattr(message, name) for message in messages]
    for name in _EVENT_COLUMNS:
        params[f"event_{name}"] = [getattr(event, name) for event in events]
    rows = conn.execute(_statement(), params).all()
    deliveries = int(rows[0].deliveries) if rows else 0
    positions = {row.event_id: int(row.stream_position) for row in rows}
    placed = [event.placed_at(positions[event.id]) for event in events if event.id in positions]
    return Written({row.conversation_id for row in rows}, placed, deliveries)


_MOVE_COLUMNS = ("conversation_id", "last_microseconds", "wait_start", "wait_ends", "visitor_wrote")
_MOVE_TYPES = ("TEXT", "BIGINT", "BIGINT", "BOOLEAN", "BOOLEAN")
_MESSAGE_COLUMNS = tuple(MessageRecord.__dataclass_fields__)
# An event's row but its stream position, which the statement gives it; `name` and `workspace_id`, `conversation_id`,
# `microseconds` and `created_at` are its message's.
_EVENT_COLUMNS = ("id", "payload", "end_user_id", "agent_id", "agents_only")


def _arrays(table: FromClause, prefix: str, names: Sequence[str]) -> str:
    """The parameters `:<prefix>_<name>`, arrays of the types of `table`'s columns `names`."""
    return ", ".join(f"CAST(:{prefix}_{n} AS {table.c[n].type.compile(dialect=_DIALECT)}[])" for n in names)


@lru_cache(maxsize=1)
def _statement() -> TextClause:
    message_arrays = _arrays(Message.__table__, "message", _MESSAGE_COLUMNS)
    event_arrays = _arrays(Event.__table__, "event", _EVENT_COLUMNS)
    move_arrays = ", ".join(f"CAST(:move_{n} AS {t}[])" for n, t in zip(_MOVE_COLUMNS, _MOVE_TYPES, strict=True))
    drafted = ", ".join([*(f"message_{n}" for n in _MESSAGE_COLUMNS), *(f"event_{n}" for n in _EVENT_COLUMNS)])
    message_columns = ", ".join(_MESSAGE_COLUMNS)
    message_values = ", ".join(f"message_{n}" for n in _MESSAGE_COLUMNS)
    return text(
        f"""
WITH moves ({", ".join(_MOVE_COLUMNS)}) AS (SELECT * FROM unnest({move_arrays})),
drafts ({drafted}, ordinal) AS (SELECT * FROM unnest({message_arrays}, {event_arrays}) WITH ORDINALITY),
taken AS (
    SELECT moves.* FROM moves CROSS JOIN LATERAL (
        SELECT FROM conversations WHERE conversations.id = moves.conversation_id
            AND conversations.last_microseconds < :now AND NOT conversations.locked
            AND (conversations.status = 'open' OR NOT moves.visitor_wrote)
        FOR UPDATE
    ) AS free
),
moved AS (
    UPDATE conversations SET last_microseconds = taken.last_microseconds,
        waiting_since = CASE WHEN taken.wait_ends THEN taken.wait_start
            ELSE coalesce(conversations.waiting_since, taken.wait_start) END
    FROM taken WHERE conversations.id = taken.conversation_id
    RETURNING conversations.id
),
written AS (SELECT drafts.* FROM drafts JOIN moved ON moved.id = drafts.message_conversation_id),
stored AS (
    INSERT INTO messages ({message_columns}) SELECT {message_values} FROM written ORDER BY ordinal
),
bumped AS (
    INSERT INTO workspace_streams (workspace_id, position)
    SELECT message_workspace_id, count(*) FROM written GROUP BY message_workspace_id ORDER BY message_workspace_id
    ON CONFLICT (workspace_id) DO UPDATE SET position = workspace_streams.position + excluded.position
    RETURNING workspace_id, position
),
placed AS (
    SELECT written.*, bumped.position - count(*) OVER stream + row_number() OVER (stream ORDER BY ordinal)
        AS stream_position
    FROM written JOIN bumped ON bumped.workspace_id = written.message_workspace_id
    WINDOW stream AS (PARTITION BY written.message_workspace_id)
),
logged AS (
    INSERT INTO events (id, workspace_id, conversation_id, name, payload, microseconds, stream_position, created_at,
        end_user_id, agent_id, agents_only)
    SELECT event_id, message_workspace_id, message_conversation_id, :event_name, event_payload,
        message_microseconds, stream_position, message_created_at, event_end_user_id, event_agent_id, event_agents_only
    FROM placed ORDER BY ordinal
),
delivered AS (
    INSERT INTO webhook_deliveries (id, workspace_id, webhook_id, event_id, event_name, conversation_id, stream,
        status, attempts, window_start_us, next_attempt_us, created_at, updated_at)
    SELECT gen_random_uuid()::text, placed.message_workspace_id, hook.id, placed.event_id, :event_name,
        placed.message_conversation_id, placed.message_conversation_id, :pending, 0, :now, :now, :now_seconds,
        :now_seconds
    FROM placed JOIN webhooks AS hook ON hook.workspace_id = placed.message_workspace_id
        AND (hook.events IS NULL OR json_typeof(hook.events) = 'null'
            OR CAST(hook.events AS jsonb) @> jsonb_build_array(CAST(:event_name AS text)))
    ORDER BY placed.ordinal, hook.id
    RETURNING 1
)
SELECT event_id, message_conversation_id AS conversation_id, stream_position,
    (SELECT count(*) FROM delivered) AS deliveries
FROM placed
"""
    )
