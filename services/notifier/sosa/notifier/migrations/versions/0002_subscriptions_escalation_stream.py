"""subscriptions, e-mail, escalation, live stream, outbox

E-mail recipients, rotated-out endpoint secrets, endpoint health, the role and fields each
delivery carried, deadline-aware escalation, per-party stream log, and the outbox of
`sosa.deliveries.v1`. Batch mode keeps the column changes working on SQLite.

Revision ID: 5c1e0b7d2a44
Revises: a52d3f812e29
Create Date: 2026-11-25 13:50:12.655725
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0b7d2a44"
down_revision: str | None = "a52d3f812e29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "email_recipients",
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("mode", sa.String(length=10), server_default="all", nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("recipient_id", name=op.f("pk_email_recipients")),
    )
    op.create_index(
        op.f("ix_email_recipients_party_id"), "email_recipients", ["party_id"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("traceparent", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "stream_cursors",
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_stream_cursors")),
    )
    op.create_table(
        "stream_events",
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "seq", name=op.f("pk_stream_events")),
        sa.UniqueConstraint("party_id", "event_id", name=op.f("uq_stream_events_party_id")),
    )
    op.create_table(
        "endpoint_secrets",
        sa.Column("secret_id", _ID, autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.endpoint_id"],
            name=op.f("fk_endpoint_secrets_endpoint_id"),
        ),
        sa.PrimaryKeyConstraint("secret_id", name=op.f("pk_endpoint_secrets")),
    )
    op.create_index(
        op.f("ix_endpoint_secrets_endpoint_id"), "endpoint_secrets", ["endpoint_id"], unique=False
    )
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(
            sa.Column("attempt_number", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("target", sa.String(length=2000), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=10), server_default="webhook", nullable=False)
        )
        batch.add_column(sa.Column("recipient_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("role", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_from", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))
        batch.alter_column("endpoint_id", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("request_id", existing_type=sa.String(length=64), nullable=True)
        batch.create_index(batch.f("ix_deliveries_escalate_at"), ["escalate_at"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_deliveries_recipient_id"),
            "email_recipients",
            ["recipient_id"],
            ["recipient_id"],
        )
    with op.batch_alter_table("endpoints") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=10), server_default="all", nullable=False)
        )
        batch.add_column(sa.Column("max_in_flight", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failure_streak", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        for column in (
            "deleted_at",
            "failing_since",
            "failure_streak",
            "disabled_at",
            "disabled_reason",
            "max_in_flight",
            "mode",
        ):
            batch.drop_column(column)
    op.execute("DELETE FROM deliveries WHERE endpoint_id IS NULL OR request_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(batch.f("fk_deliveries_recipient_id"), type_="foreignkey")
        batch.drop_index(batch.f("ix_deliveries_escalate_at"))
        batch.alter_column("request_id", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("endpoint_id", existing_type=sa.String(length=64), nullable=False)
        for column in (
            "last_error",
            "escalated_from",
            "escalated_at",
            "escalate_at",
            "deadline",
            "fields",
            "role",
            "recipient_id",
            "channel",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("target")
        batch.drop_column("attempt_number")
    op.drop_index(op.f("ix_endpoint_secrets_endpoint_id"), table_name="endpoint_secrets")
    op.drop_table("endpoint_secrets")
    op.drop_table("stream_events")
    op.drop_table("stream_cursors")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_email_recipients_party_id"), table_name="email_recipients")
    op.drop_table("email_recipients")
