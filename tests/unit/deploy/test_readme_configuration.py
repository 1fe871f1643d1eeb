"""README's configuration table is one table (#26: a paragraph had cut it in two), and README
promises no file that exists already (the container files in deploy/)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[3] / "README.md"


def section(title: str) -> list[str]:
    lines = README.read_text("utf-8").splitlines()
    start = lines.index(f"## {title}")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start + 1 : end]


def test_the_configuration_table_is_not_cut() -> None:
    rows = [i for i, line in enumerate(section("Configuration")) if line.startswith("|")]
    assert rows, "no table"
    assert rows == list(range(rows[0], rows[0] + len(rows))), "a paragraph cuts the table"
    assert len(rows) > 10


def test_no_promise_of_files_that_exist_already() -> None:
    text = README.read_text("utf-8")
    assert not re.search(r"will go\b", text)
    assert (README.parent / "deploy" / "Dockerfile").is_file()
