"""messages.source (how each message arrived) and canned_responses (the workspace's reply templates)

A message's source was not recorded before, so the rows already stored get the truest value their author gives:
an agent's message can only have come through the agent API (`console`), the bot's are `api` by definition. A
visitor's message came through the widget or through the External API on their behalf, which nothing stored tells
apart: those read `widget`, the way visitors mostly write (as do rows whose author is gone).

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), server_default="widget", nullable=False))
    op.execute("UPDATE messages SET source = 'console' WHERE agent_id IS NOT NULL")
    op.execute("UPDATE messages SET source = 'api' WHERE bot_id IS NOT NULL")
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column(
            "shortcut",
            sa.String(length=32).with_variant(sa.String(length=32, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_canned_responses_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
        sa.UniqueConstraint("workspace_id", "shortcut", name=op.f("uq_canned_responses_workspace_id_shortcut")),
    )


def downgrade() -> None:
    op.drop_table("canned_responses")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("source")
