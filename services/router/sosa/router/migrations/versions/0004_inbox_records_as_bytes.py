"""inbox records as bytes

The inbox kept each command's outputs as JSON, every key, value and header value in base64
(`outputs`); it now keeps them as one `bytea` of the records' own bytes (`records`, format 1 of
`sosa.router.outputs`: MessagePack of `[1, [[topic, key, value, [[name, value], ...]], ...]]`).
Every row is converted, up and down: a command decided before the upgrade is still republished
from the inbox after it, never decided twice. The format is written out here, not imported from
that module, so that this revision keeps working when the module changes.

Revision ID: e2608b01deea
Revises: 5c1d0e7b9a31
Create Date: 2026-12-07 13:10:00
"""

import base64
from collections.abc import Callable, Sequence
from typing import Any

import msgpack
import sqlalchemy as sa
from alembic import op

revision: str = "e2608b01deea"
down_revision: str | None = "5c1d0e7b9a31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS_AT_ONCE = 500
_inbox = sa.table(
    "inbox",
    sa.column("event_id", sa.String()),
    sa.column("outputs", sa.JSON()),
    sa.column("records", sa.LargeBinary()),
)


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("records", sa.LargeBinary(), nullable=True))
    _convert("outputs", "records", _json_to_bytes)
    with op.batch_alter_table("inbox") as batch:
        batch.alter_column("records", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("outputs")


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("outputs", sa.JSON(), nullable=True))
    _convert("records", "outputs", _bytes_to_json)
    with op.batch_alter_table("inbox") as batch:
        batch.alter_column("outputs", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("records")


def _convert(source: str, target: str, convert: Callable[[Any], Any]) -> None:
    """Every row's `source` written to `target` in its other form, a few hundred rows at once
    in the order of their key."""
    connection = op.get_bind()
    key, read = _inbox.c.event_id, _inbox.c[source]
    write = (
        sa.update(_inbox)
        .where(key == sa.bindparam("b_event_id"))
        .values({target: sa.bindparam("b_value")})
    )
    after: str | None = None
    while True:
        query = sa.select(key, read).order_by(key).limit(_ROWS_AT_ONCE)
        if after is not None:
            query = query.where(key > after)
        rows = connection.execute(query).all()
        if not rows:
            return
        connection.execute(
            write, [{"b_event_id": row[0], "b_value": convert(row[1])} for row in rows]
        )
        after = rows[-1][0]


def _json_to_bytes(outputs: list[dict[str, Any]]) -> bytes:
    """Format 1: `[1, [[topic, key, value, [[name, value], ...]], ...]]` in MessagePack, the
    byte strings as its binary type."""
    records = [
        [
            output["topic"],
            None if output["key"] is None else base64.b64decode(output["key"]),
            base64.b64decode(output["value"]),
            [[name, base64.b64decode(value)] for name, value in output["headers"]],
        ]
        for output in outputs
    ]
    packed: bytes = msgpack.packb([1, records], use_bin_type=True)
    return packed


def _bytes_to_json(data: bytes) -> list[dict[str, Any]]:
    """Format 1 (`_json_to_bytes`) back to the JSON form, every byte string in base64."""
    version, records = msgpack.unpackb(data, raw=False)
    if version != 1:
        raise ValueError(f"inbox records in format {version}, not 1")
    return [
        {
            "topic": topic,
            "key": None if key is None else base64.b64encode(key).decode(),
            "value": base64.b64encode(value).decode(),
            "headers": [[name, base64.b64encode(raw).decode()] for name, raw in headers],
        }
        for topic, key, value, headers in records
    ]
