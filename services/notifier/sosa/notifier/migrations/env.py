"""Alembic environment of the notifier's own database."""

from sosa.infra import migration_env
from sosa.notifier.tables import metadata

migration_env.run(metadata, service="notifier")
