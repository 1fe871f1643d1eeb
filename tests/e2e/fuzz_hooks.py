"""What schemathesis generates beyond its own strategies, loaded by tests/e2e/test_fuzz_openapi.py
through `SCHEMATHESIS_HOOKS`.

`date-time` values: its own are RFC 3339 times of recent years, which never met what an attack run
answered with a 500 (issue #22): a time without offset, year 1 with +14:00 or year 9999 with
-14:00 (which Python cannot convert to UTC). Here a fifth of the values are such recent times and
the other fifths: any time of years 1-9999 at extreme offsets; the first or last instant of what
Python or the services take (years 1, 1899/1900, 2200/2201, 9999) at those offsets; the two times
Python cannot convert; a time without offset. Every parameter and body field of that format on
both services gets some of each.
"""

from __future__ import annotations

from datetime import datetime

import schemathesis
from hypothesis import strategies as st

_ANY_YEAR = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
_RECENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))

_UNCONVERTIBLE = st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
"""Python holds them, but cannot convert them to UTC (the year 0, the year 10000)."""
_EDGES = st.sampled_from(
    [
        datetime(1, 1, 1),
        datetime(1899, 12, 31, 23, 59, 59),
        datetime(1900, 1, 1),
        datetime(2200, 12, 31, 23, 59, 59),
        datetime(2201, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59),
    ]
)
_EXTREME_OFFSETS = st.sampled_from(["+14:00", "-14:00", "Z", "+23:59", "-23:59"])


def _stamp(moment: datetime, offset: str) -> str:
    return moment.isoformat(timespec="seconds") + offset


schemathesis.openapi.format(
    "date-time",
    st.one_of(
        st.builds(_stamp, _RECENT, st.sampled_from(["Z", "+00:00", "-05:00", "+05:30"])),
        st.builds(_stamp, _ANY_YEAR, _EXTREME_OFFSETS),
        st.builds(_stamp, _EDGES, _EXTREME_OFFSETS),
        _UNCONVERTIBLE,
        st.builds(_stamp, _ANY_YEAR, st.just("")),
    ),
)
