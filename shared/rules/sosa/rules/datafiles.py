"""Reads the package's JSON data files (once, cached) and checks the shape of their fields."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

Row = Mapping[str, object]


class DataFileError(ValueError):
    """A data file, or an override passed in its place, does not have the expected shape."""


@cache
def load(name: str) -> Row:
    """The parsed content of `sosa/rules/data/<name>` (a JSON object). Read once per process."""
    text = resources.files(__package__ or "sosa.rules").joinpath("data", name).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, Mapping):
        raise DataFileError(f"{name}: top level must be an object")
    return data


def rows(data: Row, key: str) -> list[Row]:
    """A list of objects under `key` (missing means empty)."""
    value = data.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise DataFileError(f"{key!r} must be a list")
    result = [row for row in value if isinstance(row, Mapping)]
    if len(result) != len(value):
        raise DataFileError(f"every entry of {key!r} must be an object")
    return result


def text(row: Row, key: str) -> str:
    """A required string field."""
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise DataFileError(f"{key!r} must be a non-empty string in {dict(row)!r}")
    return value


def optional_text(row: Row, key: str) -> str | None:
    """An optional string field (missing or null gives None)."""
    value = row.get(key)
    if value is None:
        return None
    return text(row, key)


def flag(row: Row, key: str, *, default: bool = False) -> bool:
    """An optional boolean field."""
    value = row.get(key, default)
    if not isinstance(value, bool):
        raise DataFileError(f"{key!r} must be true or false in {dict(row)!r}")
    return value


def optional_int(row: Row, key: str) -> int | None:
    """An optional non-negative integer field."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataFileError(f"{key!r} must be a non-negative integer in {dict(row)!r}")
    return value


def texts(row: Row, key: str) -> tuple[str, ...]:
    """An optional list of strings (missing gives an empty tuple)."""
    value = row.get(key, [])
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise DataFileError(f"{key!r} must be a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise DataFileError(f"{key!r} must be a list of strings")
    return tuple(str(item) for item in value)


def section(row: Row, key: str) -> Row | None:
    """An optional nested object."""
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DataFileError(f"{key!r} must be an object")
    return value
