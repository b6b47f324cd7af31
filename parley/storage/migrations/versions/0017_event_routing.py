"""Events carry their routing: the visitor of a new conversation, the agent an event is about, agents only (#21)

The live fan-out routes by these columns' values instead of parsing each frame; a visitor's replay reads them from
here. Rows written before keep NULL where only the live fan-out reads a column (`end_user_id`), and are filled where
a replay reads it: notes are marked agents only, an assignment names its agent.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 17:00:00.000000
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
events = sa.table(
    "events",
    sa.column("position", sa.BigInteger),
    sa.column("name", sa.String),
    sa.column("payload", sa.Text),
    sa.column("agent_id", sa.String),
    sa.column("agents_only", sa.Boolean),
)


def upgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("end_user_id", sa.String(length=36), nullable=True))
        table.add_column(sa.Column("agent_id", sa.String(length=36), nullable=True))
        table.add_column(sa.Column("agents_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    notes = sa.and_(
        events.c.name.in_(["message.created", "message.status_changed"]), events.c.payload.like('%"type":"note"%')
    )
    _fill(notes, lambda data: {"agents_only": data.get("type") == "note"})
    assigned = events.c.name == "conversation.assigned"
    _fill(assigned, lambda data: {"agent_id": (data.get("assignedAgent") or {}).get("id")})


def _fill(which: sa.ColumnElement[bool], values_of: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Each row `which` selects updated with `values_of(its frame's data)`, a batch at a time by position."""
    connection = op.get_bind()
    after = 0
    while rows := connection.execute(
        sa.select(events.c.position, events.c.payload)
        .where(which, events.c.position > after)
        .order_by(events.c.position)
        .limit(BATCH)
    ).all():
        for position, payload in rows:
            data = json.loads(payload).get("data") or {}
            connection.execute(sa.update(events).where(events.c.position == position).values(**values_of(data)))
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.drop_column("agents_only")
        table.drop_column("agent_id")
        table.drop_column("end_user_id")
