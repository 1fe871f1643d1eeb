"""security: parties and API keys, who may see each request, the hash-chained audit log

Revision ID: 7d3a9c51e0b2
Revises: af07fb79ae3d
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3a9c51e0b2"
down_revision: str | None = "af07fb79ae3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_parties")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("key_hash", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name=op.f("fk_api_keys_party_id")
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_party_id"), "api_keys", ["party_id"], unique=False)
    op.create_table(
        "request_access",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint(
            "request_id", "party_id", "relation", name=op.f("pk_request_access")
        ),
    )
    op.create_index(
        "ix_request_access_party_id_relation", "request_access", ["party_id", "relation"]
    )
    # requests stored before this revision: their requester and supplier may see them
    op.execute(
        "INSERT INTO request_access (request_id, party_id, relation) "
        "SELECT request_id, requester, 'requester' FROM request_views"
    )
    op.execute(
        "INSERT INTO request_access (request_id, party_id, relation) "
        "SELECT request_id, supplier, 'supplier' FROM request_views"
    )
    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_authority", sa.String(length=128), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("seq", _BIG, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_request_id"), "audit_log", ["request_id"], unique=False)
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("pruned_through_seq", sa.BigInteger(), nullable=False),
        sa.Column("pruned_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    genesis = "0" * 64
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("last_seq", sa.BigInteger),
        sa.column("last_hash", sa.String),
        sa.column("pruned_through_seq", sa.BigInteger),
        sa.column("pruned_hash", sa.String),
    )
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "last_seq": 0,
                "last_hash": genesis,
                "pruned_through_seq": 0,
                "pruned_hash": genesis,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_log_request_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.drop_column("pending_authority")
    op.drop_index("ix_request_access_party_id_relation", table_name="request_access")
    op.drop_table("request_access")
    op.drop_index(op.f("ix_api_keys_party_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("parties")
