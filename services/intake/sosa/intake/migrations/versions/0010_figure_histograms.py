"""figure histograms (answer times, counter-offer delays) and the work order's index

The medians of the answer times and of the counter-offer delays are read from buckets kept as
outcomes arrive (#24), not by ranking every value: `figure_histograms` (over all time) and
`figure_histograms_daily` (per UTC day of receipt) hold, per scope (`*` and each party with a
`request_access` row), figure and key, how many values fall in each bucket and their sum:
`answer_ms` per path (each answered view's time to its first answer in milliseconds, in buckets
of two significant digits), `offer_days` per supplier and for `*` (each offered date, days after
the date required, a bucket per day). The read model and the submits keep them from now on
(`sosa.intake.views.rollups`, `histogram_keys`).

Existing views and offers are counted set-based (`fill`: one INSERT ... SELECT ... GROUP BY per
table, figure, key and scope kind), on PostgreSQL and SQLite; `bench/readside_seed.py` runs the
same `fill` after COPY. The bucket's SQL is a frozen copy of `histogram_keys.bucket_sql` when
this was written.

`ix_request_views_work_order` holds a supplier's accepted rated orders in 15 CFR 700.14 order
(`sosa.rules.schedule_key`: DX, DO, unrated; the earliest required date, undated last; the
earliest rated receipt; the id), so a page of the work order reads only its own entries.

Revision ID: a7d3f5c1e9b2
Revises: 8b41f0d3c2a9
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "a7d3f5c1e9b2"
down_revision: str | None = "8b41f0d3c2a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = {"figure_histograms": False, "figure_histograms_daily": True}
"""Each histogram table, and whether it has a row per day of receipt."""
_MS_PER_HOUR = 3_600_000
_WORK_ORDER_COLUMNS = (
    "supplier",
    "(CASE rating_level WHEN 'DX' THEN 0 WHEN 'DO' THEN 1 ELSE 2 END)",
    "(COALESCE(required_delivery_date, '9999-12-31'))",
    "(COALESCE(rated_at, received_at))",
    "request_id",
)
_WORK_ORDER_WHERE = "state = 'accepted' AND path IN ('dpas', 'dpas_via_sosa')"


def upgrade() -> None:
    for name, by_day in _TABLES.items():
        op.create_table(
            name,
            sa.Column("scope", sa.String(length=128), nullable=False),
            sa.Column("figure", sa.String(length=20), nullable=False),
            *([sa.Column("day", sa.Date(), nullable=False)] if by_day else []),
            sa.Column("key", sa.String(length=128), nullable=False),
            sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("n", sa.BigInteger(), server_default="0", nullable=False),
            sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
            sa.PrimaryKeyConstraint(
                "scope",
                "figure",
                *(["day"] if by_day else []),
                "key",
                "bucket",
                name=op.f(f"pk_{name}"),
            ),
        )
    fill(op.get_bind())
    op.execute(
        f"CREATE INDEX ix_request_views_work_order ON request_views "
        f"({', '.join(_WORK_ORDER_COLUMNS)}) WHERE {_WORK_ORDER_WHERE}"
    )


def _bucket_sql(value: str) -> str:
    magnitude = f"abs({value})"
    steps = [f"WHEN {magnitude} < 100000 THEN 1000"] + [
        f"WHEN {magnitude} < {10**digits} THEN {10 ** (digits - 2)}" for digits in range(6, 19)
    ]
    width = f"(CASE {' '.join(steps)} ELSE {10**17} END)"
    bound = f"({magnitude} / {width} * {width})"
    return f"(CASE WHEN {value} < 0 THEN -{bound} ELSE {bound} END)"


def fill(bind: Connection) -> None:
    """Count every answered view and every offer in its scopes, set-based: per table, figure,
    key and scope kind (`*`, or each party joined from `request_access`), one INSERT ... SELECT
    ... GROUP BY."""
    if bind.dialect.name == "postgresql":
        day = "CAST(timezone('UTC', v.received_at) AS DATE)"
        ms = f"CAST(trunc(v.answer_hours * {_MS_PER_HOUR}) AS BIGINT)"
    else:
        day = "date(v.received_at)"
        ms = f"CAST(v.answer_hours * {_MS_PER_HOUR} AS INTEGER)"
    parties = (
        "JOIN (SELECT DISTINCT request_id, party_id FROM request_access) p "
        "ON p.request_id = v.request_id"
    )
    # (figure, key, value, from, where): the value is bucketed as the figure says
    sources = [
        (
            "answer_ms",
            "v.path",
            ms,
            "request_views v",
            "v.path IS NOT NULL AND v.answer_hours IS NOT NULL",
        ),
        *(
            (
                "offer_days",
                key,
                "o.delay_days",
                "answer_offers o JOIN request_views v ON v.request_id = o.request_id",
                "1 = 1",
            )
            for key in ("v.supplier", "'*'")
        ),
    ]
    for name, by_day in _TABLES.items():
        days = ", day" if by_day else ""
        for figure, key, value, source, where in sources:
            bucket = _bucket_sql("value") if figure == "answer_ms" else "value"
            for scope, join in (("'*'", ""), ("p.party_id", parties)):
                bind.execute(
                    sa.text(
                        f"INSERT INTO {name} (scope, figure{days}, key, bucket, n, total) "  # noqa: S608 - no input in it
                        f"SELECT scope, '{figure}'{days}, key, {bucket}, count(*), sum(value) "
                        f"FROM (SELECT {scope} AS scope{', ' + day + ' AS day' if by_day else ''}, "
                        f"{key} AS key, {value} AS value FROM {source} {join} WHERE {where}) x "
                        f"GROUP BY scope{days}, key, {bucket}"
                    )
                )


def downgrade() -> None:
    op.execute("DROP INDEX ix_request_views_work_order")
    for name in _TABLES:
        op.drop_table(name)
