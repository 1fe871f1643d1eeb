"""Write a new Alembic revision for one service by comparing its tables with an empty SQLite file.

Usage: uv run python scripts/new_migration.py SERVICE "message"
Review the generated file before committing it.
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine


def main(service: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/scratch.db")
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", f"sosa.{service}:migrations")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
