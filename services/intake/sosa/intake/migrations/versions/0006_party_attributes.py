"""party attributes: what each party is (kind, country, supplier's time zone and signatory)

Set by operators through the party API; intake checks and fills the facts the rules use about a
party from them (#23). Existing parties get none: an operator must set them before the party
may submit requests or act as an authority (docs/security.md).

Revision ID: 3c8e5a1f7b06
Revises: 9e4f2b7c1d05
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8e5a1f7b06"
down_revision: str | None = "9e4f2b7c1d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("code_of_conduct_signatory", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("code_of_conduct_signatory")
        batch.drop_column("timezone")
        batch.drop_column("country")
        batch.drop_column("kind")
