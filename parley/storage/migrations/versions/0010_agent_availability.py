"""agents.availability: the agent's own choice (online or away), kept until they change it; status is derived

Every agent starts available (`online`), as a new one does, and offline: under the new rule `status` is online only
while a console of theirs is connected, and none has been counted under it yet (each console that connects after the
upgrade sets it again).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("availability", sa.String(length=16), server_default="online", nullable=False))
    op.execute("UPDATE agents SET status = 'offline'")


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("availability")
