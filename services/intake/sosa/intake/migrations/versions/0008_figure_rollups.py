"""figure roll-ups: counts per scope, dimension and key, over all time and per day

The dashboard and the resilience figures read these instead of every view (#24): for each scope
(`*`, every request, and each party with a `request_access` row for it), each dimension (state,
path, partner country, supplier, requester, rating) and each key, how many requests, and how many
of them ran their clock to an end, went late, were answered, refused, ever accepted, still await
an answer, are overdue; `figure_counts` over all time, `figure_counts_daily` per UTC day of
receipt. The read model and the submits keep them from now on (`sosa.intake.views.rollups`).

Existing views are counted set-based (`fill`: one INSERT ... SELECT ... GROUP BY per table and
dimension), on PostgreSQL and SQLite; `bench/readside_seed.py` runs the same `fill` after COPY.
The definitions are frozen copies of `sosa.intake.views.rollup_keys` when this was written.

Revision ID: 8b41f0d3c2a9
Revises: 5d2a9c4e8f17
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "8b41f0d3c2a9"
down_revision: str | None = "5d2a9c4e8f17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("requests", "clocked", "late", "answered", "refused", "accepted", "open", "overdue")
_REFUSED = ("counter_offered", "declined", "rejected_by_supplier")
_ACCEPTING = ("accepted", "fulfilled")
_OVERDUE = "overdue"
_NO_ANSWER_AWAITED = (
    "accepted", "cancelled", "declined", "fulfilled", "overdue", "rejected", "rejected_by_supplier",
)  # fmt: skip
_TABLES = {"figure_counts": False, "figure_counts_daily": True}
"""Each roll-up table, and whether it has a row per day of receipt."""

_views = sa.table(
    "request_views",
    sa.column("request_id", sa.String),
    sa.column("state", sa.String),
    sa.column("path", sa.String),
    sa.column("rating", sa.String),
    sa.column("supplier", sa.String),
    sa.column("requester", sa.String),
    sa.column("partner_country", sa.String),
    sa.column("first_answer", sa.String),
    sa.column("went_late", sa.Boolean),
    sa.column("ever_accepted", sa.Boolean),
    sa.column("received_at", sa.DateTime(timezone=True)),
)
_access = sa.table("request_access", sa.column("request_id"), sa.column("party_id"))


def upgrade() -> None:
    for name, by_day in _TABLES.items():
        op.create_table(
            name,
            sa.Column("scope", sa.String(length=128), nullable=False),
            sa.Column("dimension", sa.String(length=20), nullable=False),
            sa.Column("key", sa.String(length=128), nullable=False),
            sa.Column("subkey", sa.String(length=128), server_default="", nullable=False),
            *([sa.Column("day", sa.Date(), nullable=False)] if by_day else []),
            *(
                sa.Column(count, sa.BigInteger(), server_default="0", nullable=False)
                for count in _COUNTS
            ),
            # (scope, dimension, day, key, subkey): a period reads one range of days
            sa.PrimaryKeyConstraint(
                "scope",
                "dimension",
                *(["day"] if by_day else []),
                "key",
                "subkey",
                name=op.f(f"pk_{name}"),
            ),
        )
    fill(op.get_bind())


def fill(bind: Connection) -> None:
    """Count every view in its scopes, set-based: per table and dimension, one INSERT ...
    SELECT ... GROUP BY over the views, and over the views joined to who may see them."""
    v = _views.c
    late = sa.or_(v.went_late, v.state == _OVERDUE)
    answered = v.first_answer.is_not(None)
    flags = {
        "clocked": sa.or_(answered, late),
        "late": late,
        "answered": answered,
        "refused": v.first_answer.in_(_REFUSED),
        "accepted": sa.or_(v.ever_accepted, v.state.in_(_ACCEPTING)),
        "open": v.state.not_in(_NO_ANSWER_AWAITED),
        "overdue": v.state == _OVERDUE,
    }
    if bind.dialect.name == "postgresql":
        day: Any = sa.cast(sa.func.timezone("UTC", v.received_at), sa.Date)
        dash: Any = sa.func.strpos(v.rating, "-")
    else:
        day = sa.func.date(v.received_at)
        dash = sa.func.instr(v.rating, "-")
    # (key, subkey, which views): the program symbol is the rating after its first dash
    keys: dict[str, tuple[Any, Any, Any]] = {
        "state": (v.state, None, sa.true()),
        "path": (sa.func.coalesce(v.path, "undecided"), None, sa.true()),
        "partner_country": (sa.func.coalesce(v.partner_country, "US"), None, sa.true()),
        "supplier": (v.supplier, None, sa.true()),
        "requester": (v.requester, None, sa.true()),
        "rating": (sa.func.coalesce(v.rating, ""), None, sa.true()),
        "program": (sa.func.substr(v.rating, dash + 1), v.supplier, dash > 0),
    }
    parties = sa.select(_access.c.request_id, _access.c.party_id).distinct().subquery()
    counts = [sa.func.count().label("requests")] + [
        sa.func.sum(sa.case((flag, 1), else_=0)).label(name) for name, flag in flags.items()
    ]
    for name, by_day in _TABLES.items():
        target = sa.table(
            name,
            *(sa.column(c) for c in ("scope", "dimension", "key", "subkey")),
            *([sa.column("day")] if by_day else []),
            *(sa.column(c) for c in _COUNTS),
        )
        for dimension, (key, subkey, which) in keys.items():
            per_day = [day.label("day")] if by_day else []
            grouping = [key, *([subkey] if subkey is not None else []), *([day] if by_day else [])]
            subkey = subkey if subkey is not None else sa.literal_column("''")
            everyone = (
                sa.select(
                    sa.literal("*").label("scope"),
                    sa.literal(dimension).label("dimension"),
                    key.label("key"),
                    subkey.label("subkey"),
                    *per_day,
                    *counts,
                )
                .select_from(_views)
                .where(which)
                .group_by(*grouping)
            )
            per_party = (
                sa.select(
                    parties.c.party_id.label("scope"),
                    sa.literal(dimension).label("dimension"),
                    key.label("key"),
                    subkey.label("subkey"),
                    *per_day,
                    *counts,
                )
                .select_from(_views.join(parties, parties.c.request_id == v.request_id))
                .where(which)
                .group_by(parties.c.party_id, *grouping)
            )
            columns = [
                "scope",
                "dimension",
                "key",
                "subkey",
                *(["day"] if by_day else []),
                *_COUNTS,
            ]
            for select in (everyone, per_party):
                bind.execute(target.insert().from_select(columns, select))


def per_day_name(by_day: bool) -> list[str]:
    return ["day"] if by_day else []


def downgrade() -> None:
    for name in _TABLES:
        op.drop_table(name)
