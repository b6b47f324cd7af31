"""agents.email, role and email_notifications: agents as people (workflow.md section 2)

Existing agents have no email, the `agent` role and notifications on: a workspace has no owner until one is named
(from the CLI, `parley agents create --role owner`, or the API), and only then keeps at least one active owner.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="agent", nullable=False))
        batch.add_column(sa.Column("email_notifications", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index("uq_agents_workspace_email", "agents", ["workspace_id", "email"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_agents_workspace_email", table_name="agents")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("email_notifications")
        batch.drop_column("role")
        batch.drop_column("email")
