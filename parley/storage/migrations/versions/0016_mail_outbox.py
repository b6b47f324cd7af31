"""The mail outbox: mails written with their cause, sent by a worker (workflow.md 3)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 11:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=False),
        sa.Column("locked_until_us", sa.BigInteger(), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_mail_outbox_workspace_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_mail_outbox"),
        sa.UniqueConstraint("id", name="uq_mail_outbox_id"),
        sa.UniqueConstraint("cause", name="uq_mail_outbox_cause"),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_us"])
    op.create_index("ix_mail_outbox_workspace_seq", "mail_outbox", ["workspace_id", "seq"])


def downgrade() -> None:
    op.drop_table("mail_outbox")
