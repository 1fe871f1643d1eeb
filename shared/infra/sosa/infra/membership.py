"""Membership tests whose SQL has one shape whatever the number of values.

`column IN (...)` is rendered with one parameter per value, so each number of values is a new
statement text for PostgreSQL to parse and plan (and for asyncpg to prepare and cache). On
PostgreSQL these take the values as one array parameter instead (`= ANY($1)`, `<> ALL($1)`):
one text, prepared once, whatever the batch size. SQLite has no arrays and keeps `IN`.

`among` and `none_of` bind the values with the statement, for a statement built per call;
`among_named` and `none_of_named` leave a named parameter, for a statement built once per
dialect and executed with the list (`{name: [...]}`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, all_, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres


def among(session: AsyncSession, column: ColumnElement[Any], values: Iterable[Any]) -> Any:
    """`column` is one of `values`."""
    values = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def none_of(session: AsyncSession, column: ColumnElement[Any], values: Iterable[Any]) -> Any:
    """`column` is none of `values` (true for every row when there are none)."""
    values = list(values)
    if is_postgres(session):
        return column != all_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.not_in(values)


def among_named(column: ColumnElement[Any], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """`column` is one of the list bound as `name` when the statement is executed: on
    PostgreSQL `column = ANY(:name)`, elsewhere SQLAlchemy's expanding `IN`."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def none_of_named(column: ColumnElement[Any], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """`column` is none of the list bound as `name` when the statement is executed (true for
    every row when it is empty): on PostgreSQL `column <> ALL(:name)`, elsewhere SQLAlchemy's
    expanding `NOT IN`."""
    if postgres:
        return column != all_(bindparam(name, type_=ARRAY(column.type)))
    return column.not_in(bindparam(name, expanding=True))
