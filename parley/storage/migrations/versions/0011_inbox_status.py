"""the inbox: a conversation's status, snooze and wait, its labels, and its activity log

The newest-first listing's index gains `id`, the tie-breaker of its order, as the inbox's new indexes have it.
Every existing conversation starts `open`, not snoozed, and waiting since the visitor's first message after the last
agent text or file message, if any (what `waitingSince` would say had it been kept all along).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), server_default="open", nullable=False))
        batch.add_column(sa.Column("snoozed_until", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("waiting_since", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE conversations SET waiting_since = ("
        " SELECT MIN(m.created_at) FROM messages m"
        " WHERE m.conversation_id = conversations.id AND m.end_user_id IS NOT NULL"
        " AND m.microseconds > COALESCE(("
        "  SELECT MAX(a.microseconds) FROM messages a WHERE a.conversation_id = conversations.id"
        "  AND a.agent_id IS NOT NULL AND a.type IN ('text', 'file')), 0))"
    )
    op.drop_index("ix_conversations_workspace_created", table_name="conversations")
    op.create_index("ix_conversations_workspace_created", "conversations", ["workspace_id", "created_us", "id"])
    op.create_index(
        "ix_conversations_workspace_status_created", "conversations", ["workspace_id", "status", "created_us", "id"]
    )
    op.create_index(
        "ix_conversations_workspace_status_waiting",
        "conversations",
        ["workspace_id", "status", "waiting_since", "created_us", "id"],
    )
    op.create_index(
        "ix_conversations_workspace_assignee_status",
        "conversations",
        ["workspace_id", "assigned_agent_id", "status", "created_us", "id"],
    )
    op.create_index(op.f("ix_conversations_snoozed_until"), "conversations", ["snoozed_until"])
    op.create_table(
        "conversation_labels",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_labels_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_conversation_labels_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "label", name=op.f("pk_conversation_labels")),
    )
    op.create_index(
        "ix_conversation_labels_workspace_label",
        "conversation_labels",
        ["workspace_id", "label", "created_us", "conversation_id"],
    )
    op.create_table(
        "conversation_activity",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_agent_id", sa.String(length=36), nullable=True),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("snoozed_until", sa.BigInteger(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.Column("microseconds", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_agent_id"],
            ["agents.id"],
            name=op.f("fk_conversation_activity_actor_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_conversation_activity_agent_id_agents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_activity_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_activity")),
    )
    op.create_index(
        "ix_conversation_activity_conversation_microseconds",
        "conversation_activity",
        ["conversation_id", "microseconds"],
    )


def downgrade() -> None:
    op.drop_table("conversation_activity")
    op.drop_index("ix_conversation_labels_workspace_label", table_name="conversation_labels")
    op.drop_table("conversation_labels")
    op.drop_index(op.f("ix_conversations_snoozed_until"), table_name="conversations")
    op.drop_index("ix_conversations_workspace_assignee_status", table_name="conversations")
    op.drop_index("ix_conversations_workspace_status_waiting", table_name="conversations")
    op.drop_index("ix_conversations_workspace_status_created", table_name="conversations")
    op.drop_index("ix_conversations_workspace_created", table_name="conversations")
    op.create_index("ix_conversations_workspace_created", "conversations", ["workspace_id", "created_us"])
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("waiting_since")
        batch.drop_column("snoozed_until")
        batch.drop_column("status")
