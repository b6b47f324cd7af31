"""events.stream_position and workspace_streams: the agent socket's resume cursor, gapless per workspace

Existing events are numbered 1, 2, 3... per workspace in `position` order (the order they were inserted in), and
each workspace's counter starts after its last one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_streams",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_streams_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_streams")),
    )
    op.add_column("events", sa.Column("stream_position", sa.BigInteger(), nullable=True))
    # Window functions and UPDATE ... FROM: SQLite 3.33 and every supported PostgreSQL.
    op.execute(
        "UPDATE events SET stream_position = numbered.n FROM ("
        " SELECT position, row_number() OVER (PARTITION BY workspace_id ORDER BY position) AS n FROM events"
        ") AS numbered WHERE events.position = numbered.position"
    )
    op.execute(
        "INSERT INTO workspace_streams (workspace_id, position)"
        " SELECT workspace_id, MAX(stream_position) FROM events GROUP BY workspace_id"
    )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("stream_position", existing_type=sa.BigInteger(), nullable=False)
    op.create_index("ix_events_workspace_stream_position", "events", ["workspace_id", "stream_position"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_events_workspace_stream_position", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("stream_position")
    op.drop_table("workspace_streams")
