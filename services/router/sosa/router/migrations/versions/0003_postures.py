"""postures

Revision ID: 5c1d0e7b9a31
Revises: aa2fcff82d3d
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d0e7b9a31"
down_revision: str | None = "aa2fcff82d3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "postures",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("posture", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_postures")),
    )


def downgrade() -> None:
    op.drop_table("postures")
