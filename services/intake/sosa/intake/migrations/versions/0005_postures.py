"""postures: the posture in force per scope (global or a partner country)

Revision ID: 9e4f2b7c1d05
Revises: 4b263afd412e
Create Date: 2026-12-04 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4f2b7c1d05"
down_revision: str | None = "4b263afd412e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "postures",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("posture", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_postures")),
    )


def downgrade() -> None:
    op.drop_table("postures")
