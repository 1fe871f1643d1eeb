"""lifecycle read model: filter columns and indexes on the view, every outcome kind in the timeline

Revision ID: af07fb79ae3d
Revises: 1c71e0c2ff2b
Create Date: 2026-11-25 13:47:23.008906
"""

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "af07fb79ae3d"
down_revision: str | None = "1c71e0c2ff2b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen copies of what the code did when this revision was written: a migration must not change
# meaning when the application code moves on
_RATING = re.compile(r"(DO|DX)-?([A-Z][0-9])")
_views = sa.table(
    "request_views",
    sa.column("request_id", sa.String),
    sa.column("rating", sa.String),
    sa.column("rating_level", sa.String),
    sa.column("details", sa.JSON),
    sa.column("decision", sa.JSON),
    sa.column("deadline", sa.DateTime(timezone=True)),
    sa.column("required_delivery_date", sa.Date),
    sa.column("rated_at", sa.DateTime(timezone=True)),
    sa.column("received_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("request_timeline", schema=None) as batch_op:
        # rows written before this revision were all transitions: the only kind there was
        batch_op.add_column(
            sa.Column(
                "event_type",
                sa.String(length=100),
                nullable=False,
                server_default="sosa.outcome.transitioned.v1",
            )
        )
        batch_op.add_column(sa.Column("caused_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("command_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("specifics", sa.JSON(), nullable=True))
    with op.batch_alter_table("request_timeline", schema=None) as batch_op:
        batch_op.alter_column("event_type", server_default=None)  # new rows always name theirs

    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating_level", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("required_delivery_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_request_views_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_views_rating"), ["rating"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_request_views_rating_level"), ["rating_level"], unique=False
        )
        batch_op.create_index(
            "ix_request_views_received_at_request_id", ["received_at", "request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_request_views_requester"), ["requester"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_views_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_request_views_supplier_state", ["supplier", "state"], unique=False
        )
    _fill_new_view_columns()


def _fill_new_view_columns() -> None:
    """Give the rows of existing requests the values the read model now keeps."""
    bind = op.get_bind()
    for row in bind.execute(sa.select(_views)).all():
        decision: dict[str, Any] = row.decision or {}
        match = _RATING.fullmatch((decision.get("rating") or row.rating or "").strip().upper())
        bind.execute(
            _views.update()
            .where(_views.c.request_id == row.request_id)
            .values(
                rating=f"{match.group(1)}-{match.group(2)}" if match else row.rating,
                rating_level=match.group(1) if match else None,
                rated_at=row.received_at if match else None,
                deadline=_instant(decision.get("deadline")),
                required_delivery_date=_earliest_date(row.details or {}),
            )
        )


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _earliest_date(details: dict[str, Any]) -> date | None:
    dates = []
    for text in details.get("required_delivery_dates", []):
        try:
            dates.append(date.fromisoformat(text.strip()))
        except ValueError:
            continue
    return min(dates, default=None)


def downgrade() -> None:
    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.drop_index("ix_request_views_supplier_state")
        batch_op.drop_index(batch_op.f("ix_request_views_state"))
        batch_op.drop_index(batch_op.f("ix_request_views_requester"))
        batch_op.drop_index("ix_request_views_received_at_request_id")
        batch_op.drop_index(batch_op.f("ix_request_views_rating_level"))
        batch_op.drop_index(batch_op.f("ix_request_views_rating"))
        batch_op.drop_index(batch_op.f("ix_request_views_deadline"))
        batch_op.drop_column("rated_at")
        batch_op.drop_column("required_delivery_date")
        batch_op.drop_column("deadline")
        batch_op.drop_column("rating_level")

    with op.batch_alter_table("request_timeline", schema=None) as batch_op:
        batch_op.drop_column("specifics")
        batch_op.drop_column("command_type")
        batch_op.drop_column("caused_by")
        batch_op.drop_column("event_type")
