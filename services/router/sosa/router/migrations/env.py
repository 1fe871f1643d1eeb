"""Alembic environment of the router's own database."""

from sosa.infra import migration_env
from sosa.router.tables import metadata

migration_env.run(metadata, service="router")
