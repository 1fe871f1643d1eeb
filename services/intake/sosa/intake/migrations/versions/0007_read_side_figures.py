"""read-side figures: what the resilience figures read, kept on each view, items and offers

The analytics are computed by the database (#24): each view keeps the partner country of its
decision, the supplier's first answer and the hours from the clock it stopped, whether the request
ever went overdue or was answered late and whether its supplier ever accepted it; the items each
request names and the dates answers offered get tables of their own; one index holds what the
figures and the dashboard read of every view (on PostgreSQL a covering index, read by index-only
scans instead of the views' wide rows). Existing rows are filled
from their details and timeline, with frozen copies of the definitions
(`resilience_figures.with_history`, `item_key`), a thousand requests at a time.

Revision ID: 5d2a9c4e8f17
Revises: 3c8e5a1f7b06
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a9c4e8f17"
down_revision: str | None = "3c8e5a1f7b06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen copies of what the code did when this revision was written
_ANSWERED = frozenset(
    {"accepted", "rejected_by_supplier", "counter_offered", "declined", "fulfilled"}
)
_ACCEPTING = frozenset({"accepted", "fulfilled"})
_OVERDUE = "overdue"
_READ = _ANSWERED | {_OVERDUE}
_BATCH = 1000
FIGURE_COLUMNS = [
    "request_id", "state", "path", "requester", "supplier", "rating", "deadline",
    "partner_country", "first_answer", "answer_hours", "went_late", "ever_accepted",
]  # fmt: skip

_views = sa.table(
    "request_views",
    sa.column("request_id", sa.String),
    sa.column("state", sa.String),
    sa.column("details", sa.JSON),
    sa.column("decision", sa.JSON),
    sa.column("partner_country", sa.String),
    sa.column("first_answer", sa.String),
    sa.column("answered_at", sa.DateTime(timezone=True)),
    sa.column("answer_hours", sa.Float),
    sa.column("went_late", sa.Boolean),
    sa.column("ever_accepted", sa.Boolean),
)
_timeline = sa.table(
    "request_timeline",
    sa.column("event_id", sa.String),
    sa.column("request_id", sa.String),
    sa.column("sequence", sa.Integer),
    sa.column("state", sa.String),
    sa.column("decision", sa.JSON),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
)
_items = sa.table(
    "request_items", sa.column("request_id", sa.String), sa.column("item_key", sa.Text)
)
_offers = sa.table(
    "answer_offers",
    sa.column("event_id", sa.String),
    sa.column("request_id", sa.String),
    sa.column("delay_days", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_country", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("first_answer", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answer_hours", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("went_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("ever_accepted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_request_views_requester_state", ["requester", "state"], unique=False
        )
        batch_op.create_index(
            "ix_request_views_path_answer_hours", ["path", "answer_hours"], unique=False
        )
    op.create_table(
        "request_items",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("item_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "item_key", name=op.f("pk_request_items")),
    )
    op.create_index("ix_request_items_item_key", "request_items", ["item_key"], unique=False)
    op.create_table(
        "answer_offers",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_answer_offers")),
    )
    op.create_index(
        op.f("ix_answer_offers_request_id"), "answer_offers", ["request_id"], unique=False
    )
    # what the figures and the dashboard read of every view, in one index (on PostgreSQL the
    # other columns are INCLUDEd): they scan it, not the views' wide rows with their JSON
    op.create_index(
        "ix_request_views_figures",
        "request_views",
        ["received_at"],
        unique=False,
        postgresql_include=FIGURE_COLUMNS,
    )
    _fill()


def _fill() -> None:
    """Give existing requests what the read model now keeps, a batch of requests at a time."""
    bind = op.get_bind()
    after = ""
    while True:
        views = bind.execute(
            sa.select(_views.c.request_id, _views.c.state, _views.c.details, _views.c.decision)
            .where(_views.c.request_id > after)
            .order_by(_views.c.request_id)
            .limit(_BATCH)
        ).all()
        if not views:
            return
        after = views[-1].request_id
        steps: dict[str, list[Any]] = {}
        for step in bind.execute(
            sa.select(_timeline)
            .where(_timeline.c.request_id.in_([v.request_id for v in views]))
            .where(_timeline.c.state.in_(sorted(_READ)))
            .order_by(_timeline.c.request_id, _timeline.c.sequence)
        ):
            steps.setdefault(step.request_id, []).append(step)
        items, offers = [], []
        for view in views:
            history = steps.get(view.request_id, [])
            bind.execute(
                _views.update()
                .where(_views.c.request_id == view.request_id)
                .values(**_summary(view, history))
            )
            items += [{"request_id": view.request_id, "item_key": k} for k in _item_keys(view)]
            offers += [
                {"event_id": s.event_id, "request_id": view.request_id, "delay_days": days}
                for s in history
                if (days := _delay(s)) is not None
            ]
        if items:
            bind.execute(_items.insert(), items)
        if offers:
            bind.execute(_offers.insert(), offers)


def _summary(view: Any, history: list[Any]) -> dict[str, Any]:
    decision: dict[str, Any] = view.decision or {}
    answers = [s for s in history if s.state in _ANSWERED]
    first = answers[0] if answers else None
    started = _instant((first.decision or {}).get("clock_started_at")) if first else None
    answered_at = _aware(first.occurred_at) if first else None
    return {
        "partner_country": decision.get("partner_country") or "US",
        "first_answer": first.state if first else None,
        "answered_at": answered_at,
        "answer_hours": (answered_at - started).total_seconds() / 3600
        if answered_at and started
        else None,
        "went_late": view.state == _OVERDUE
        or any(s.state == _OVERDUE or (s.decision or {}).get("late") for s in history),
        "ever_accepted": view.state in _ACCEPTING or any(s.state in _ACCEPTING for s in answers),
    }


def _item_keys(view: Any) -> list[str]:
    details: dict[str, Any] = view.details or {}
    texts = [str(item.get("description", "")) for item in details.get("items", []) or []]
    return sorted({" ".join(t.lower().split()) for t in texts if t.strip()})


def _delay(step: Any) -> int | None:
    decision: dict[str, Any] = step.decision or {}
    if step.state not in _ANSWERED or not decision.get("offered_date"):
        return None
    required = [date.fromisoformat(d) for d in decision.get("required_delivery_dates") or []]
    if not required:
        return None
    return (date.fromisoformat(decision["offered_date"]) - min(required)).days


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive times; they were stored in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_index("ix_request_views_figures", table_name="request_views")
    op.drop_index(op.f("ix_answer_offers_request_id"), table_name="answer_offers")
    op.drop_table("answer_offers")
    op.drop_index("ix_request_items_item_key", table_name="request_items")
    op.drop_table("request_items")
    with op.batch_alter_table("request_views", schema=None) as batch_op:
        batch_op.drop_index("ix_request_views_path_answer_hours")
        batch_op.drop_index("ix_request_views_requester_state")
        batch_op.drop_column("ever_accepted")
        batch_op.drop_column("went_late")
        batch_op.drop_column("answer_hours")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("first_answer")
        batch_op.drop_column("partner_country")
