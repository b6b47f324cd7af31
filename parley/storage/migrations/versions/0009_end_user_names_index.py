"""end users by workspace and name: a new anonymous visitor's friendly name is checked unused in its workspace

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The new index leads with the workspace, so it also serves what the workspace's own index did."""
    op.create_index("ix_end_users_workspace_name", "end_users", ["workspace_id", "name"])
    op.drop_index("ix_end_users_workspace_id", table_name="end_users")


def downgrade() -> None:
    op.create_index("ix_end_users_workspace_id", "end_users", ["workspace_id"])
    op.drop_index("ix_end_users_workspace_name", table_name="end_users")
