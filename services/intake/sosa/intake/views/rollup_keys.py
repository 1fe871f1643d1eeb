"""What the figure roll-ups count of one view (pure: no I/O, no clock).

Each view counts once in each dimension (its state, its path, its partner country, its
supplier, its requester, its rating, and its program symbol with its supplier when it has one:
what concentration and redundancy gaps by program read), for each scope that may see it (`*`,
every request, and each party with a `request_access` row for it), over all time and on the UTC
day it was received.
What it counts there is its `tally`: one request, and whether its clock ran to an end, it went
late, it was answered, its first answer was a refusal, its supplier ever accepted it, an answer
is still awaited, and it is overdue now, as `resilience_figures` and the dashboard define them.

The same `Changes` carries what the view and its offers add to the figure histograms
(`histogram_keys`: the answer times and the counter-offer delays), in the same scopes and spans.

A change of a view is a `Changes`: the old view's tally taken away, the new one's added, for the
scopes of before and of after (a party granted access meanwhile gains the request). Summed per
row, only the rows that moved are written (`sosa.intake.views.rollups`).

Concentration and redundancy gaps also read pairs (#24): per scope, its program and each item it
names (`PAIRED`) with its supplier, over all time only, a view counts as `pair_tally` (one
request; rated or not, since concentration counts rated requests only; accepted or not, for the
gaps). Per program or item the summary folds its pairs: the requests, the rated ones, the sum of
their squares (the Herfindahl index's numerator), the suppliers with a rated one and those that
accepted one (`summary_delta`: what one pair moving from old counts to new adds to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

from sosa.contracts.states import RequestState
from sosa.intake.insights.resilience_figures import ACCEPTING, OVERDUE, REFUSED, program_of
from sosa.intake.views.histogram_keys import answer_points, offer_points

EVERYONE: Final = "*"
"""The scope of every request: what operators see."""
DIMENSIONS: Final = (
    "state", "path", "partner_country", "supplier", "requester", "rating", "program",
)  # fmt: skip
COUNTS: Final = (
    "requests",
    "clocked",
    "late",
    "answered",
    "refused",
    "accepted",
    "open",
    "overdue",
)
UNDECIDED: Final = "undecided"
"""The path of a request without one yet (the dashboard's `by_path`)."""
US: Final = "US"
"""The partner country of a request without a decision naming one (a US order)."""
NO_ANSWER_AWAITED: Final = frozenset(
    {
        RequestState.ACCEPTED,
        RequestState.REJECTED_BY_SUPPLIER,
        RequestState.DECLINED,
        RequestState.FULFILLED,
        RequestState.CANCELLED,
        RequestState.REJECTED,
        RequestState.OVERDUE,
    }
)
"""States in which no answer is awaited any more: the dashboard's `open` counts the others."""
PAIRED: Final = ("program", "item")
"""The dimensions with a pair per (key, supplier) and a summary per key (`figure_pairs`)."""
PAIR_COUNTS: Final = ("requests", "rated", "accepted")
"""What a pair counts of the views that name it (`pair_tally`)."""
SUMMARY_COUNTS: Final = ("requests", "rated", "squares", "suppliers", "accepting")
"""What a summary folds of its pairs (`summary_delta`)."""
VIEW_COLUMNS: Final = (
    "request_id", "state", "path", "rating", "supplier", "requester", "partner_country",
    "first_answer", "went_late", "ever_accepted", "received_at", "answer_hours",
)  # fmt: skip
"""The columns of `request_views` the roll-ups read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Counted:
    """What the roll-ups read of one view."""

    state: str
    path: str | None
    rating: str | None
    supplier: str
    requester: str
    received_at: datetime
    partner_country: str | None = None
    first_answer: str | None = None
    went_late: bool = False
    ever_accepted: bool = False
    answer_hours: float | None = None
    items: tuple[str, ...] = ()
    """The distinct items the request names, as the figures group them (`request_items`)."""

    @classmethod
    def of(cls, row: Mapping[Any, Any], items: Iterable[str] = ()) -> Counted:
        """From a view row (a new view's row may leave out what its columns default) and the
        `item_key`s of its `request_items` rows."""
        found = {name: row[name] for name in VIEW_COLUMNS[1:] if name in row}
        return cls(**found, items=tuple(sorted(set(items))))


def tally(view: Counted) -> tuple[int, ...]:
    """What one view adds to each of its roll-up rows, in the order of `COUNTS`."""
    late = view.went_late or view.state == OVERDUE
    answered = view.first_answer is not None
    return (
        1,
        int(answered or late),
        int(late),
        int(answered),
        int(view.first_answer in REFUSED),
        int(view.ever_accepted or view.state in ACCEPTING),
        int(view.state not in NO_ANSWER_AWAITED),
        int(view.state == OVERDUE),
    )


def keys(view: Counted) -> list[tuple[str, str, str]]:
    """(dimension, key, subkey) of each roll-up row the view counts in, for one scope and one
    span: the program (`program_of` its rating) has the supplier as its subkey."""
    found = [
        ("state", view.state, ""),
        ("path", view.path or UNDECIDED, ""),
        ("partner_country", view.partner_country or US, ""),
        ("supplier", view.supplier, ""),
        ("requester", view.requester, ""),
        ("rating", view.rating or "", ""),
    ]
    program = program_of(view.rating)
    if program is not None:
        found.append(("program", program, view.supplier))
    return found


def pair_tally(view: Counted) -> tuple[int, ...]:
    """What one view adds to each of its pairs, in the order of `PAIR_COUNTS`."""
    accepted = view.ever_accepted or view.state in ACCEPTING
    return (1, int(bool(view.rating)), int(accepted))


def pairs(view: Counted) -> list[tuple[str, str, str]]:
    """(dimension, key, supplier) of each pair the view counts in, for one scope: its program
    (`program_of` its rating) and each item it names."""
    found = []
    program = program_of(view.rating)
    if program is not None:
        found.append(("program", program, view.supplier))
    found += [("item", item, view.supplier) for item in view.items]
    return found


def summary_delta(old: Sequence[int], new: Sequence[int]) -> tuple[int, ...]:
    """What a pair moving from `old` to `new` counts (`PAIR_COUNTS`) adds to its key's summary,
    in the order of `SUMMARY_COUNTS`: a rated count going from c to c + 1 adds 2c + 1 to the
    squares; a supplier counts once it has a rated request, and as accepting once it accepted."""
    (requests0, rated0, accepted0), (requests1, rated1, accepted1) = old, new
    return (
        requests1 - requests0,
        rated1 - rated0,
        rated1 * rated1 - rated0 * rated0,
        int(rated1 > 0) - int(rated0 > 0),
        int(accepted1 > 0) - int(accepted0 > 0),
    )


def day_of(at: datetime) -> date:
    """The UTC day of an instant (the `day` of the daily roll-ups)."""
    return at.astimezone(UTC).date()


RowKey = tuple[str, str, str, str, date | None]
"""scope, dimension, key, subkey, and the day of receipt (None: over all time)."""
BucketKey = tuple[str, str, str, int, date | None]
"""scope, figure, key, bucket, and the day of receipt (None: over all time)."""
HISTOGRAM_SUMS: Final = ("n", "total")
"""What a histogram row adds up: how many values, and their sum."""
PairKey = tuple[str, str, str, str]
"""scope, dimension (`PAIRED`), key, supplier."""
KeyT = TypeVar("KeyT", RowKey, PairKey)


@dataclass(slots=True)
class Changes:
    """The roll-up rows one transaction moves, and by how much."""

    deltas: dict[RowKey, dict[tuple[int, ...], int]] = field(default_factory=dict)
    """Per roll-up row, each tally added to it (signed) and how many times: the views of a
    batch mostly share their tallies, so adding one to a row is a count (`_netted` sums)."""
    spread: dict[BucketKey, list[int]] = field(default_factory=dict)
    pair_deltas: dict[PairKey, dict[tuple[int, ...], int]] = field(default_factory=dict)
    """Per pair, each `pair_tally` added to it and how many times, as `deltas`."""

    def count(self, view: Counted, scopes: Iterable[str], sign: int = 1) -> None:
        """Add the view to (sign -1: take it away from) its rows in each scope."""
        scopes = list(scopes)
        day = day_of(view.received_at)
        self._spread(answer_points(view.path, view.answer_hours), view, scopes, sign)
        counts = tuple(sign * n for n in tally(view))
        deltas = self.deltas
        row_keys = keys(view)
        for scope in scopes:
            for dimension, key, subkey in row_keys:
                for row_key in (
                    (scope, dimension, key, subkey, None),
                    (scope, dimension, key, subkey, day),
                ):
                    added = deltas.get(row_key)
                    if added is None:
                        deltas[row_key] = {counts: 1}
                    else:
                        added[counts] = added.get(counts, 0) + 1
        paired = tuple(sign * n for n in pair_tally(view))
        pair_deltas = self.pair_deltas
        view_pairs = pairs(view)
        for scope in scopes:
            for dimension, key, supplier in view_pairs:
                pair_key = (scope, dimension, key, supplier)
                added = pair_deltas.get(pair_key)
                if added is None:
                    pair_deltas[pair_key] = {paired: 1}
                else:
                    added[paired] = added.get(paired, 0) + 1

    def offers(
        self, view: Counted, delays: Iterable[int], scopes: Iterable[str], sign: int = 1
    ) -> None:
        """Add the dates the view's supplier offered (days after the date required) to the
        offer histograms of each scope."""
        self._spread(offer_points(view.supplier, delays), view, list(scopes), sign)

    def _spread(
        self,
        points: list[tuple[str, str, int, int]],
        view: Counted,
        scopes: list[str],
        sign: int,
    ) -> None:
        if not points:
            return
        day = day_of(view.received_at)
        spread = self.spread
        for figure, key, bucket, value in points:
            for scope in scopes:
                for row_key in (
                    (scope, figure, key, bucket, None),
                    (scope, figure, key, bucket, day),
                ):
                    row = spread.setdefault(row_key, [0, 0])
                    row[0] += sign
                    row[1] += sign * value

    def move(
        self,
        before: Counted,
        before_scopes: Iterable[str],
        after: Counted,
        after_scopes: Iterable[str],
    ) -> None:
        """A view changed, or its scopes grew: the old one out, the new one in."""
        self.count(before, before_scopes, -1)
        self.count(after, after_scopes, 1)

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The rows that moved, over all time and per day, each list in one order (scope,
        dimension, key, subkey, day) so that two transactions lock shared rows in one order."""
        return _moved(_netted(self.deltas), ("scope", "dimension", "key", "subkey"), COUNTS)

    def histogram_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The histogram rows that moved, over all time and per day, each list in one order
        (scope, figure, key, bucket, day), as `rows`."""
        return _moved(self.spread, ("scope", "figure", "key", "bucket"), HISTOGRAM_SUMS)

    def pair_rows(self) -> list[dict[str, Any]]:
        """The pairs that moved, in one order (scope, dimension, key, supplier), as
        `figure_pairs` rows of deltas."""
        return [
            {
                "scope": scope,
                "dimension": dimension,
                "key": key,
                "supplier": supplier,
                **dict(zip(PAIR_COUNTS, counts, strict=True)),
            }
            for (scope, dimension, key, supplier), counts in sorted(
                _netted(self.pair_deltas).items()
            )
            if any(counts)
        ]


def _netted(
    found: Mapping[KeyT, Mapping[tuple[int, ...], int]],
) -> dict[KeyT, list[int]]:
    """Each key's tallies summed, each as many times as it was added."""
    netted = {}
    for key, added in found.items():
        total: list[int] | None = None
        for counts, times in added.items():
            if total is None:
                total = [times * n for n in counts]
            else:
                total = [t + times * n for t, n in zip(total, counts, strict=True)]
        if total is not None:
            netted[key] = total
    return netted


def _moved(
    found: Mapping[tuple[Any, ...], Sequence[int]],
    keys: tuple[str, ...],
    values: Sequence[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entries of `found` (its keys: `keys` then a day, None over all time) that moved,
    as rows over all time and per day, each list in key order with the day last."""
    total, daily = [], []
    for key, moved in sorted(
        found.items(), key=lambda item: (item[0][:-1], item[0][-1] or date.min)
    ):
        if not any(moved):
            continue
        row = {**dict(zip(keys, key[:-1], strict=True)), **dict(zip(values, moved, strict=True))}
        if key[-1] is None:
            total.append(row)
        else:
            daily.append({**row, "day": key[-1]})
    return total, daily
