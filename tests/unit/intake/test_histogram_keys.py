"""The figure histograms' buckets and the medians read from them (`histogram_keys`): the days
exactly, the answer times within one bucket's width of `statistics.median`."""

from __future__ import annotations

import statistics
from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from sosa.intake.views.histogram_keys import (
    MS_PER_HOUR,
    answer_ms,
    bucket_of,
    median_of,
    width_of,
)


def _buckets(values: list[int], key: object = bucket_of) -> dict[int, tuple[int, int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for value in values:
        found[key(value)].append(value)  # type: ignore[operator]
    return {b: (len(vs), sum(vs)) for b, vs in found.items()}


def test_buckets_are_a_second_wide_below_100_s_then_two_significant_digits() -> None:
    assert [bucket_of(ms) for ms in (0, 999, 1_000, 99_999)] == [0, 0, 1_000, 99_000]
    assert [bucket_of(ms) for ms in (100_000, 123_456, 999_999)] == [100_000, 120_000, 990_000]
    assert bucket_of(3_600_000 * 30 + 7) == 100_000_000  # 30 h: 108,000 s, in 100,000 s to 110,000
    assert bucket_of(-1_500) == -1_000  # an answer dated before its clock: mirrored
    assert width_of(5) == 1_000
    assert width_of(123_456) == 10_000
    assert answer_ms(1.5) == 5_400_000


@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=60))
def test_a_bucket_holds_its_values_and_buckets_order_as_their_values(values: list[int]) -> None:
    for value in values:
        bucket = bucket_of(value)
        assert abs(bucket) <= abs(value) < abs(bucket) + width_of(value)
    ordered = sorted(values)
    assert [bucket_of(v) for v in ordered] == sorted(bucket_of(v) for v in values)


@given(st.lists(st.integers(-30, 400), min_size=1, max_size=80))
def test_days_give_the_exact_median_and_largest(days: list[int]) -> None:
    middle = median_of(_buckets(days, key=lambda d: d))
    assert middle is not None
    assert middle.n == len(days)
    assert middle.median == statistics.median(days)
    assert middle.largest == max(days)


@given(
    st.lists(st.floats(min_value=-1.0, max_value=2_000.0, allow_nan=False), min_size=1, max_size=80)
)
def test_an_answer_time_median_is_within_one_bucket_of_the_exact_one(hours: list[float]) -> None:
    ms = [answer_ms(h) for h in hours]
    middle = median_of(_buckets(ms))
    assert middle is not None
    ordered = sorted(hours)
    n = len(ordered)
    largest_middle = max(abs(ordered[(n - 1) // 2]), abs(ordered[n // 2]))
    bound = (width_of(answer_ms(largest_middle)) + 1) / MS_PER_HOUR
    assert abs(middle.median / MS_PER_HOUR - statistics.median(hours)) <= bound


def test_a_bucket_of_one_value_gives_it_exactly_and_nothing_gives_none() -> None:
    middle = median_of({bucket_of(5_400_123): (1, 5_400_123)})
    assert middle is not None
    assert middle.median == 5_400_123
    assert median_of({}) is None
    assert median_of({1_000: (0, 0)}) is None  # a bucket every value has left
