"""Python's cyclic garbage collector in a long-running service (#25).

A service keeps, from its start to its end, hundreds of thousands of objects that no collection
will ever free: the modules, SQLAlchemy's tables and compiled statements, pydantic's and
FastAPI's models, the OpenAPI document. Python's full collections walk all of them nonetheless:
in intake under scenario a they were 11 % of the process's samples (py-spy with native frames).
`settle` is called once the service's app is built (`python -m sosa.intake` and
`python -m sosa.notifier`, not in tests' processes; the router calls it in its start-up, once its
calendars are loaded): it collects what the imports and the app's construction left behind, then
moves every object alive to the permanent generation (`gc.freeze`), which no collection walks,
and lets the young generation grow larger before it is collected (most of a request's objects
die young, before any collection sees them). Cycles made afterwards are still collected.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 10_000
"""Allocations (less deallocations) between two collections of the youngest generation;
Python's default is 700."""


def settle() -> None:
    """After start-up: collect once, freeze what is left, collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
