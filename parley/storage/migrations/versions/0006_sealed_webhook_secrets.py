"""webhooks.secret: room for a sealed secret (a 200-character secret takes 366 characters sealed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", type_=sa.String(length=512), existing_type=sa.String(length=200))


def downgrade() -> None:
    """Code from before 0006 signs with the sealed text itself: set each webhook's secret again after."""
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", type_=sa.String(length=200), existing_type=sa.String(length=512))
