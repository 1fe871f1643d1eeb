"""parties and API-key hashes copied from sosa.parties.v1, for authentication

Revision ID: 9b4e2f6a1c07
Revises: 5c1e0b7d2a44
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b4e2f6a1c07"
down_revision: str | None = "5c1e0b7d2a44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_parties")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("key_hash", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_party_id"), "api_keys", ["party_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_party_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("parties")
