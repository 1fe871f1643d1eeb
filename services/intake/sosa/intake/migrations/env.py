"""Alembic environment of intake's own database."""

from sosa.infra import migration_env
from sosa.intake.tables import metadata

migration_env.run(metadata, service="intake")
