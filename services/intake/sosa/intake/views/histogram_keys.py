"""What the figure histograms count (pure: no I/O, no clock): the medians of the answer times and
of the counter-offer delays, read from a few hundred bucket rows instead of every value.

A histogram row is (scope, figure, key, bucket) with `n`, how many values fall in the bucket, and
`total`, their sum (in the figure's unit), kept over all time and per UTC day of receipt as the
figure roll-ups are (`rollup_keys`), in the same scopes:

- `answer_ms`, keyed by path: each answered view's time to its first answer
  (`resilience_figures.answer_times`), in whole milliseconds (`answer_ms`), in a bucket 1 s
  wide below 100 s and else as wide as the time's second significant digit in seconds
  (`bucket_of`): at most 90 buckets per power of ten. The median read back is an estimate: the
  mean of the values in the bucket of the middle one (`median_of`), within that bucket's width
  of the exact median (`width_of`; at most 1 s below 100 s, else at most a tenth of the value);
- `offer_days`, keyed by supplier and by `*` (every supplier): each date an answer offered, as
  days after the date required (`resilience_figures.counter_offer_delays`); a bucket per day,
  so the median and the largest read back are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

ANSWER_MS: Final = "answer_ms"
OFFER_DAYS: Final = "offer_days"
ALL_SUPPLIERS: Final = "*"
"""The key of every supplier's offers together (`CounterOfferDelay.supplier` over all)."""
MS_PER_HOUR: Final = 3_600_000
FINEST_MS: Final = 1_000
"""The width of the buckets below 100 s."""


def answer_ms(hours: float) -> int:
    """An answer time in whole milliseconds, truncated toward zero (as `CAST(... AS INTEGER)`
    and PostgreSQL's `trunc` do, so the migration's SQL counts the same buckets)."""
    return int(hours * MS_PER_HOUR)


def width_of(ms: int) -> int:
    """The width of the bucket that holds `ms`: 1 s below 100 s, else a unit of the second
    significant digit (100 s to 1,000 s: 10 s wide; 1,000 s to 10,000 s: 100 s wide...)."""
    digits = len(str(abs(ms)))
    return FINEST_MS if digits <= 5 else int(10 ** (digits - 2))


def bucket_of(ms: int) -> int:
    """The bucket's key: its bound nearest to zero (a negative time, an answer dated before its
    clock started, mirrors a positive one), so keys order as the values they hold do."""
    magnitude = abs(ms)
    width = width_of(magnitude)
    bound = magnitude // width * width
    return -bound if ms < 0 else bound


@dataclass(frozen=True, slots=True)
class Middle:
    """What a histogram says of its values: how many, their median and the largest."""

    n: int
    median: float
    largest: float


def median_of(buckets: Mapping[int, tuple[int, int]]) -> Middle | None:
    """Bucket -> (n, total): the middle value(s) as `statistics.median` picks them (the middle
    one, or the mean of the two middle ones), each taken as the mean of its bucket's values
    (exact when the bucket holds one value, or one distinct value as the days do); the largest
    as the mean of the last bucket's. None without a value."""
    kept = sorted((b, nt) for b, nt in buckets.items() if nt[0] > 0)
    count = sum(n for _, (n, _) in kept)
    if not count:
        return None
    ranks = [(count + 1) // 2, (count + 2) // 2]
    picked: list[float] = []
    seen = 0
    for _, (n, total) in kept:
        seen += n
        while ranks and ranks[0] <= seen:
            ranks.pop(0)
            picked.append(total / n)
    last_n, last_total = kept[-1][1]
    return Middle(count, sum(picked) / 2, last_total / last_n)


def answer_points(path: str | None, hours: float | None) -> list[tuple[str, str, int, int]]:
    """(figure, key, bucket, value) a view adds for its answer time: none until it is answered
    on a path."""
    if path is None or hours is None:
        return []
    ms = answer_ms(hours)
    return [(ANSWER_MS, path, bucket_of(ms), ms)]


def offer_points(supplier: str, delays: Iterable[int]) -> list[tuple[str, str, int, int]]:
    """(figure, key, bucket, value) each offered date adds: for its supplier and for all."""
    return [(OFFER_DAYS, key, days, days) for days in delays for key in (supplier, ALL_SUPPLIERS)]


def answer_ms_sql(dialect: str, hours: str) -> str:
    """`answer_ms` in SQL over the column `hours`, on PostgreSQL or SQLite (the same double
    multiplied, then truncated toward zero)."""
    if dialect == "postgresql":
        return f"CAST(trunc({hours} * {MS_PER_HOUR}) AS BIGINT)"
    return f"CAST({hours} * {MS_PER_HOUR} AS INTEGER)"


def bucket_sql(value: str) -> str:
    """`bucket_of` in SQL over the integer expression `value` (integer division truncates on
    PostgreSQL and SQLite alike; the magnitude is never negative)."""
    magnitude = f"abs({value})"
    steps = [f"WHEN {magnitude} < 100000 THEN {FINEST_MS}"] + [
        f"WHEN {magnitude} < {10**digits} THEN {10 ** (digits - 2)}" for digits in range(6, 19)
    ]
    width = f"(CASE {' '.join(steps)} ELSE {10**17} END)"
    bound = f"({magnitude} / {width} * {width})"
    return f"(CASE WHEN {value} < 0 THEN -{bound} ELSE {bound} END)"
