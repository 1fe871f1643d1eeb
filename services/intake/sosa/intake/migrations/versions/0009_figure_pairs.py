"""figure pairs and summaries: per program or item, the counts concentration and gaps read

Concentration and redundancy gaps by program and by item (#24) read, over all time:
`figure_pairs`, per scope (`*` and each party with a `request_access` row), dimension (program,
item), key and supplier, how many requests, how many of them rated and accepted; and
`figure_summaries`, per scope, dimension and key, those pairs folded: the requests, the rated
ones, the sum of the squared rated counts (the Herfindahl index's numerator), the suppliers with
a rated request and those that accepted one. The read model and the submits keep them from now
on (`sosa.intake.views.rollups`): a summary row gives a program's or an item's index, supplier
count and gap without reading its pairs, and the index on (scope, dimension, key, rated DESC,
supplier) gives its largest shares in order.

Existing views are counted set-based (`fill`: one INSERT ... SELECT ... GROUP BY per dimension
and scope kind, then the summaries from the pairs), on PostgreSQL and SQLite;
`bench/readside_seed.py` runs the same `fill` after COPY. The definitions are frozen copies of
`sosa.intake.views.rollup_keys` when this was written.

It follows 0010 (`a7d3f5c1e9b2`, the figure histograms), which reached main first from the
same parent: a database already at 0010 then gets 0009 on its next upgrade (had 0010 been moved
after 0009 instead, such a database would count 0009 as applied without its tables).

Revision ID: 9a1c7e2b4d60
Revises: a7d3f5c1e9b2
Create Date: 2026-12-07 07:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "9a1c7e2b4d60"
down_revision: str | None = "a7d3f5c1e9b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAIR_COUNTS = ("requests", "rated", "accepted")
_SUMMARY_COUNTS = ("requests", "rated", "squares", "suppliers", "accepting")
_ACCEPTING = ("accepted", "fulfilled")

_views = sa.table(
    "request_views",
    sa.column("request_id", sa.String),
    sa.column("state", sa.String),
    sa.column("rating", sa.String),
    sa.column("supplier", sa.String),
    sa.column("ever_accepted", sa.Boolean),
)
_items = sa.table("request_items", sa.column("request_id"), sa.column("item_key"))
_access = sa.table("request_access", sa.column("request_id"), sa.column("party_id"))
_pairs = sa.table(
    "figure_pairs",
    *(sa.column(c) for c in ("scope", "dimension", "key", "supplier", *_PAIR_COUNTS)),
)
_summaries = sa.table(
    "figure_summaries", *(sa.column(c) for c in ("scope", "dimension", "key", *_SUMMARY_COUNTS))
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    keys = [
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
    ]
    op.create_table(
        "figure_pairs",
        *keys,
        sa.Column("supplier", sa.String(length=128), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            for name in _PAIR_COUNTS
        ),
        sa.PrimaryKeyConstraint(
            "scope", "dimension", "key", "supplier", name=op.f("pk_figure_pairs")
        ),
    )
    # a key's largest shares in order, ties by supplier in code point order (as Python sorts)
    supplier = 'supplier COLLATE "C"' if postgres else "supplier"
    op.create_index(
        "ix_figure_pairs_largest",
        "figure_pairs",
        ["scope", "dimension", "key", sa.text("rated DESC"), sa.text(supplier)],
    )
    op.create_table(
        "figure_summaries",
        *(sa.Column(c.name, c.type, nullable=False) for c in keys),
        *(
            sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            for name in _SUMMARY_COUNTS
        ),
        sa.PrimaryKeyConstraint("scope", "dimension", "key", name=op.f("pk_figure_summaries")),
    )
    fill(bind)


def fill(bind: Connection) -> None:
    """Count every view's pairs in its scopes, then fold them into the summaries, set-based:
    per dimension one INSERT ... SELECT ... GROUP BY over the views (and over the views joined
    to who may see them), then one over the pairs."""
    v = _views.c
    dash: Any = (
        sa.func.strpos(v.rating, "-")
        if bind.dialect.name == "postgresql"
        else sa.func.instr(v.rating, "-")
    )
    rated = sa.and_(v.rating.is_not(None), v.rating != "")
    accepted = sa.or_(v.ever_accepted, v.state.in_(_ACCEPTING))
    counts = [
        sa.func.count().label("requests"),
        sa.func.sum(sa.case((rated, 1), else_=0)).label("rated"),
        sa.func.sum(sa.case((accepted, 1), else_=0)).label("accepted"),
    ]
    # (key, the views and what joins them, which views)
    dimensions: dict[str, tuple[Any, Any, Any]] = {
        "program": (sa.func.substr(v.rating, dash + 1), _views, dash > 0),
        "item": (
            _items.c.item_key,
            _views.join(_items, _items.c.request_id == v.request_id),
            sa.true(),
        ),
    }
    parties = sa.select(_access.c.request_id, _access.c.party_id).distinct().subquery()
    columns = ["scope", "dimension", "key", "supplier", *_PAIR_COUNTS]
    for dimension, (key, source, which) in dimensions.items():
        everyone = (
            sa.select(
                sa.literal("*").label("scope"),
                sa.literal(dimension).label("dimension"),
                key.label("key"),
                v.supplier,
                *counts,
            )
            .select_from(source)
            .where(which)
            .group_by(key, v.supplier)
        )
        per_party = (
            sa.select(
                parties.c.party_id.label("scope"),
                sa.literal(dimension).label("dimension"),
                key.label("key"),
                v.supplier,
                *counts,
            )
            .select_from(source.join(parties, parties.c.request_id == v.request_id))
            .where(which)
            .group_by(parties.c.party_id, key, v.supplier)
        )
        for select in (everyone, per_party):
            bind.execute(_pairs.insert().from_select(columns, select))
    p = _pairs.c
    bind.execute(
        _summaries.insert().from_select(
            ["scope", "dimension", "key", *_SUMMARY_COUNTS],
            sa.select(
                p.scope,
                p.dimension,
                p.key,
                sa.func.sum(p.requests),
                sa.func.sum(p.rated),
                sa.func.sum(p.rated * p.rated),
                sa.func.sum(sa.case((p.rated > 0, 1), else_=0)),
                sa.func.sum(sa.case((p.accepted > 0, 1), else_=0)),
            ).group_by(p.scope, p.dimension, p.key),
        )
    )


def downgrade() -> None:
    op.drop_table("figure_summaries")
    op.drop_index("ix_figure_pairs_largest", table_name="figure_pairs")
    op.drop_table("figure_pairs")
