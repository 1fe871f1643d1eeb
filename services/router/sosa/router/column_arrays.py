"""The router's batch writes on PostgreSQL as statements of one shape whatever the batch's size:
the rows go in as one array per column (`unnest`), so the router builds no parameter set per
row and SQLAlchemy runs no bind processor per value (in a catch-up, SQLAlchemy's per-row
parameter handling and asyncpg's executemany were about 14 % of the router's samples,
docs/performance.md). The JSON columns are sent as text, serialised once by the caller.

Intake's roll-ups do the same (`sosa.intake.views.rollups._adding_columns`); this is the
router's own, kept here until one helper serves both (services do not import each other).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Table, Text, TextClause, text

from sosa.infra.columns import UtcDateTime


def inserting(table: Table) -> TextClause:
    """`INSERT INTO table SELECT ... FROM unnest(one array per column)`, every column given."""
    names = [c.name for c in table.columns]
    return text(
        f"INSERT INTO {table.name} ({_quoted(names)}) "  # noqa: S608 - names from the metadata; values bound
        f"SELECT {_selected(table, names)} FROM {_unnest(table, names)}"
    )


def updating(table: Table, key: str, changing: Sequence[str]) -> TextClause:
    """`UPDATE table SET changing... FROM unnest(...) WHERE table.key = u.key`: each row's new
    values for the columns `changing`, found by `key`."""
    names = [key, *changing]
    sets = ", ".join(f'"{n}" = {_value(table, n)}' for n in changing)
    return text(
        f"UPDATE {table.name} SET {sets} FROM {_unnest(table, names)} "  # noqa: S608 - names from the metadata; values bound
        f'WHERE {table.name}."{key}" = u."{key}"'
    )


def columns(names: Iterable[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The rows as one array per column, under the column's name."""
    return {name: [row[name] for row in rows] for name in names}


def instant(value: datetime | None) -> datetime | None:
    """A timestamp bound as `UtcDateTime` binds it: timezone-aware, in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")
    return value.astimezone(UTC)


def _unnest(table: Table, names: Sequence[str]) -> str:
    arrays = ", ".join(f"CAST(:{n} AS {_array_type(table, n)})" for n in names)
    return f"unnest({arrays}) AS u({_quoted(names)})"


def _selected(table: Table, names: Sequence[str]) -> str:
    return ", ".join(_value(table, n) for n in names)


def _value(table: Table, name: str) -> str:
    """A column of `u` as the table takes it (JSON arrives as text)."""
    cast = "::json" if isinstance(table.c[name].type, JSON) else ""
    return f'u."{name}"{cast}'


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _array_type(table: Table, name: str) -> str:
    kind = table.c[name].type
    if isinstance(kind, UtcDateTime):
        return "timestamptz[]"
    if isinstance(kind, BigInteger):
        return "bigint[]"
    if isinstance(kind, Integer):
        return "int[]"
    if isinstance(kind, JSON | String | Text):
        return "text[]"
    raise TypeError(f"{table.name}.{name}: no array type for {kind!r}")
