"""webhook signing secrets encrypted at rest: existing plain rows sealed with the first key of
SOSA_WEBHOOK_SECRET_KEYS (sosa.notifier.secret_box); downgrade opens them again

Without a key configured this changes nothing: the rows stay plain, and the notifier seals them
at the start that first has a key (`secret_box.reseal`).

Revision ID: 8c4f1a7e2d65
Revises: 6d2b8e4f0a93
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sosa.notifier.secret_box import SecretBox
from sosa.notifier.settings import NotifierSettings

revision: str = "8c4f1a7e2d65"
down_revision: str | None = "6d2b8e4f0a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"endpoints": "endpoint_id", "endpoint_secrets": "secret_id"}


def _rewrite(change: str) -> None:
    box = SecretBox(NotifierSettings().webhook_secret_keys)
    if not box.encrypts:
        return
    bind = op.get_bind()
    for name, key in TABLES.items():
        table = sa.table(name, sa.column(key), sa.column("secret", sa.String))
        for row_id, stored in bind.execute(sa.select(table.c[key], table.c.secret)).all():
            if change == "seal" and box.current(stored):
                continue
            new = box.reseal(stored) if change == "seal" else box.open(stored)
            if new != stored:
                bind.execute(sa.update(table).where(table.c[key] == row_id).values(secret=new))


def upgrade() -> None:
    _rewrite("seal")


def downgrade() -> None:
    _rewrite("open")
