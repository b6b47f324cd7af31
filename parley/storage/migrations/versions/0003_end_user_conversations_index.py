"""a visitor's conversations by end user and creation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_end_user_created", "conversations", ["end_user_id", "created_us"])
    op.drop_index(op.f("ix_conversations_end_user_id"), table_name="conversations")


def downgrade() -> None:
    op.create_index(op.f("ix_conversations_end_user_id"), "conversations", ["end_user_id"])
    op.drop_index("ix_conversations_end_user_created", table_name="conversations")
