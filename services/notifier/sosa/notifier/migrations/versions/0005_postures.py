"""postures in force, and each delivery's partner country (its posture sets the retries)

Revision ID: 6d2b8e4f0a93
Revises: 3e7a9c2d5b18
Create Date: 2026-12-04 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6d2b8e4f0a93"
down_revision: str | None = "3e7a9c2d5b18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "postures",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("posture", sa.String(length=20), nullable=False),
        sa.Column("retry_interval_factor", sa.Float(), nullable=False),
        sa.Column("second_channel_factor", sa.Float(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_postures")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("partner_country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("partner_country")
    op.drop_table("postures")
