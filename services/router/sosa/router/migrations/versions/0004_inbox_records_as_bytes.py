"""inbox records as bytes

The inbox kept each command's outputs as JSON, every key, value and header value in base64
(`outputs`); it now keeps them as one `bytea` of the records' own bytes (`records`, format 1 of
`sosa.router.outputs`). Every row is converted, up and down: a command decided before the
upgrade is still republished from the inbox after it, never decided twice. The format's code
is repeated here, not imported, so that this revision keeps working when that module changes.

Revision ID: e2608b01deea
Revises: 5c1d0e7b9a31
Create Date: 2026-12-07 13:10:00
"""

import base64
import struct
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "e2608b01deea"
down_revision: str | None = "5c1d0e7b9a31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS_AT_ONCE = 500
_NONE = 0xFFFFFFFF
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
    """Format 1: the format's number and the number of records; per record the number of its
    headers, the lengths of its fields (0xFFFFFFFF: none), then the fields' bytes (the topic,
    the key, the value, each header's name and value)."""
    parts = [struct.pack(">BI", 1, len(outputs))]
    for output in outputs:
        fields: list[bytes | None] = [
            output["topic"].encode(),
            None if output["key"] is None else base64.b64decode(output["key"]),
            base64.b64decode(output["value"]),
        ]
        for name, value in output["headers"]:
            fields += [name.encode(), base64.b64decode(value)]
        lengths = [_NONE if f is None else len(f) for f in fields]
        parts.append(struct.pack(f">I{len(lengths)}I", len(output["headers"]), *lengths))
        parts += [f for f in fields if f is not None]
    return b"".join(parts)


def _bytes_to_json(data: bytes) -> list[dict[str, Any]]:
    """Format 1 (`_json_to_bytes`) back to the JSON form, every byte string in base64."""
    version, count = struct.unpack_from(">BI", data)
    if version != 1:
        raise ValueError(f"inbox records in format {version}, not 1")
    at = 5
    outputs = []
    for _ in range(count):
        (headers,) = struct.unpack_from(">I", data, at)
        lengths = struct.unpack_from(f">{3 + 2 * headers}I", data, at + 4)
        at += 4 + 4 * len(lengths)
        fields: list[bytes | None] = []
        for size in lengths:
            fields.append(None if size == _NONE else data[at : at + size])
            at += 0 if size == _NONE else size
        topic, key, value, *pairs = fields
        outputs.append(
            {
                "topic": (topic or b"").decode(),
                "key": None if key is None else base64.b64encode(key).decode(),
                "value": base64.b64encode(value or b"").decode(),
                "headers": [
                    [(name or b"").decode(), base64.b64encode(raw or b"").decode()]
                    for name, raw in zip(pairs[::2], pairs[1::2], strict=True)
                ],
            }
        )
    return outputs
