"""`sosa.infra.db`'s statements of one shape whatever the number of rows (`unnest_insert`,
`unnest_update`) and their parameters (`unnest_arrays`): the texts they render and the values
they bind, without a database (the router's and intake's integration tests run them on
PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql

from sosa.infra.columns import UtcDateTime
from sosa.infra.db import unnest_arrays, unnest_insert, unnest_update

things = Table(
    "things",
    MetaData(),
    Column("thing_id", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("body", JSON, nullable=True),
    Column("at", UtcDateTime(), nullable=False),
)
PG = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]


def test_the_update_sets_the_changing_columns_of_the_rows_found_by_their_key() -> None:
    assert unnest_update(things, "thing_id", ["count", "body"], prefix="p_") == (
        "UPDATE things SET count = u.count, body = CAST(u.body AS JSON) FROM unnest("
        "CAST(:p_thing_id AS VARCHAR(64)[]), CAST(:p_count AS INTEGER[]), "
        "CAST(:p_body AS TEXT[])) AS u(thing_id, count, body) "
        "WHERE things.thing_id = u.thing_id"
    )


def test_the_insert_is_unchanged() -> None:
    assert unnest_insert(things) == (
        "INSERT INTO things (thing_id, count, body, at) SELECT u.thing_id, u.count, "
        "CAST(u.body AS JSON), u.at FROM unnest(CAST(:thing_id AS VARCHAR(64)[]), "
        "CAST(:count AS INTEGER[]), CAST(:body AS TEXT[]), CAST(:at AS TIMESTAMP WITH TIME "
        "ZONE[])) AS u(thing_id, count, body, at)"
    )


def test_json_is_serialised_unless_it_is_text_already_and_instants_go_in_utc() -> None:
    east = timezone(timedelta(hours=2))
    rows = [
        {
            "thing_id": "a",
            "count": 1,
            "body": {"k": [1]},
            "at": datetime(2026, 1, 1, 2, tzinfo=east),
        },
        {"thing_id": "b", "count": 2, "body": None, "at": datetime(2026, 1, 1, tzinfo=UTC)},
    ]
    arrays = unnest_arrays(things, rows, PG)
    assert [json.loads(v) for v in arrays["body"]] == [{"k": [1]}, None]
    assert arrays["at"] == [datetime(2026, 1, 1, tzinfo=UTC)] * 2
    assert all(v.tzinfo is UTC for v in arrays["at"])

    as_text = [{**rows[0], "body": '{"k": [1]}'}]
    arrays = unnest_arrays(
        things, as_text, PG, ["thing_id", "body", "at"], prefix="p_", json_text=True
    )
    assert arrays == {
        "p_thing_id": ["a"],
        "p_body": ['{"k": [1]}'],  # as given, not serialised a second time
        "p_at": [datetime(2026, 1, 1, tzinfo=UTC)],
    }


def test_a_naive_instant_is_refused() -> None:
    row = {"thing_id": "a", "count": 1, "body": None, "at": datetime(2026, 1, 1)}
    with pytest.raises(ValueError, match="naive"):
        unnest_arrays(things, [row], PG, json_text=True)


def test_with_lengths_checked_strings_travel_as_text_so_an_overlong_one_is_refused() -> None:
    """An explicit CAST to VARCHAR(64)[] cuts a longer string silently; as TEXT[], the column's
    own length is checked as the row is written."""
    inserted = unnest_insert(things, ["thing_id", "count"], lengths_checked=True)
    assert "CAST(:thing_id AS TEXT[]), CAST(:count AS INTEGER[])" in inserted
    updated = unnest_update(things, "thing_id", ["count"], lengths_checked=True)
    assert "CAST(:thing_id AS TEXT[]), CAST(:count AS INTEGER[])" in updated
