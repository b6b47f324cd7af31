"""events: drop the workspace index that ix_events_workspace_microseconds already covers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_events_workspace_id"), table_name="events")


def downgrade() -> None:
    op.create_index(op.f("ix_events_workspace_id"), "events", ["workspace_id"])
