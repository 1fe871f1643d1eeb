"""The figure pairs and summaries (#24), pure: a summary moved pair by pair by `summary_delta`
equals the one folded from the pairs at the end, whatever order the views came and changed in;
and it gives what concentration and redundancy gaps define (the index, the suppliers, the gap)
over the same views."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from sosa.intake.insights import resilience_figures as figures
from sosa.intake.views.rollup_keys import (
    PAIR_COUNTS,
    Changes,
    Counted,
    pair_tally,
    pairs,
    summary_delta,
)

AT = datetime(2026, 12, 1, tzinfo=UTC)


@st.composite
def views(draw: st.DrawFn) -> Counted:
    return Counted(
        state=draw(st.sampled_from(["routed", "accepted", "declined", "fulfilled", "overdue"])),
        path="dpas",
        rating=draw(st.sampled_from(["DO-A1", "DX-A3", "DO-B1", None])),
        supplier=draw(st.sampled_from(["acme", "bharat", "nihon", "valveco"])),
        requester="navsea",
        received_at=AT,
        ever_accepted=draw(st.booleans()),
        items=tuple(sorted(set(draw(st.lists(st.sampled_from(["valve", "pump", "gear"])))))),
    )


Pairs = dict[tuple[str, str, str, str], tuple[int, ...]]


def _apply(kept: Pairs, summaries: dict[tuple[str, str, str], list[int]], c: Changes) -> None:
    """What `rollups.keep` does with the pairs: add each delta, move its summary by the old and
    the new counts."""
    for row in c.pair_rows():
        key = (row["scope"], row["dimension"], row["key"], row["supplier"])
        old = kept.get(key, (0, 0, 0))
        new = tuple(o + row[n] for o, n in zip(old, PAIR_COUNTS, strict=True))
        assert min(new) >= 0
        kept[key] = new
        into = summaries.setdefault(key[:3], [0] * 5)
        for i, n in enumerate(summary_delta(old, new)):
            into[i] += n


@given(st.lists(st.tuples(views(), views()), max_size=40))
def test_a_summary_moved_pair_by_pair_equals_the_one_folded_from_its_pairs(
    changes: list[tuple[Counted, Counted]],
) -> None:
    kept: Pairs = {}
    summaries: dict[tuple[str, str, str], list[int]] = {}
    final = []
    for before, after in changes:  # each view counted, then changed (its items kept)
        after = Counted(**{**_fields(after), "items": before.items, "supplier": before.supplier})
        added = Changes()
        added.count(before, {"*", before.supplier})
        _apply(kept, summaries, added)
        moved = Changes()
        moved.move(before, {"*", before.supplier}, after, {"*", before.supplier, "navsea"})
        _apply(kept, summaries, moved)
        final.append(after)
    folded: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * 5)
    for key, (requests, rated, accepted) in kept.items():
        for i, n in enumerate((requests, rated, rated * rated, rated > 0, accepted > 0)):
            folded[key[:3]][i] += int(n)
    assert {k: v for k, v in summaries.items() if any(v)} == {
        k: v for k, v in folded.items() if any(v)
    }
    # the summary of scope * gives what the definition gives over the views
    counts: dict[str, dict[str, Counter[str]]] = {
        "program": defaultdict(Counter),
        "item": defaultdict(Counter),
    }
    requests: dict[str, Counter[str]] = {"program": Counter(), "item": Counter()}
    accepting: dict[str, dict[str, set[str]]] = {
        "program": defaultdict(set),
        "item": defaultdict(set),
    }
    for view in final:
        n, rated, accepted = pair_tally(view)
        for dimension, key, supplier in pairs(view):
            requests[dimension][key] += n
            if rated:
                counts[dimension][key][supplier] += 1
            if accepted:
                accepting[dimension][key].add(supplier)
    for dimension in ("program", "item"):
        for c in figures.concentrations(counts[dimension], dimension):
            _, rated, squares, suppliers, _ = summaries[("*", dimension, c.key)]
            assert (rated, suppliers, squares / (rated * rated)) == (c.total, c.suppliers, c.hhi)
        gaps = {g.key for g in figures.gaps(requests[dimension], accepting[dimension], dimension)}
        assert gaps == {
            key
            for (scope, d, key), (n, *_, accepting_) in summaries.items()
            if scope == "*" and d == dimension and n > 0 and accepting_ < 2
        }


def _fields(view: Counted) -> dict[str, object]:
    return {name: getattr(view, name) for name in Counted.__dataclass_fields__}
