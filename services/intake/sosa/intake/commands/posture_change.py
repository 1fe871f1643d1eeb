"""Accepting a posture change: the rows of a `SetPosture`, built before any I/O (`writes.Write`).

An operator's `PUT /v1/posture/{scope}` goes through intake's one accept path like every
command: the `SetPosture` command and its outbox row, the `postures` row it sets (over the
posture it read as in force), the idempotency key with the answer it will replay and the audit
entry are stored together, with other requests' (group commit).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from sosa.contracts import commands, posture
from sosa.contracts.posture import PostureName
from sosa.infra.auth import Caller
from sosa.intake import audit
from sosa.intake.commands.answers import PostureAccepted
from sosa.intake.commands.command_log import command_rows
from sosa.intake.commands.idempotency import Key, key_row
from sosa.intake.commands.writes import PostureChange, Write

PEACETIME = "peacetime"
"""The posture of a scope never set."""


def posture_write(
    scope: str,
    name: PostureName,
    reason: str,
    *,
    body: BaseModel,
    previous: str | None,
    caller: Caller,
    key: Key | None,
    now: datetime,
    source: str,
) -> Write[PostureAccepted]:
    """The rows of setting `scope` to posture `name` for `reason` over `previous` (None: never
    set); `body` is the PUT's body as validated, which the Idempotency-Key remembers."""
    command = commands.SetPosture(
        command_id=str(uuid.uuid4()),
        request_id=posture.subject(scope),
        received_at=now,
        scope=scope,
        posture=name,
        reason=reason,
        set_by=caller.party_id,
    )
    replaced: PostureName = previous or PEACETIME  # type: ignore[assignment]
    answer = PostureAccepted(
        scope=scope,
        posture=name,
        previous=replaced,
        command_id=command.command_id,
        received_at=now,
    )
    command_row, outbox_row = command_rows(command, source=source)
    row = {
        "scope": scope,
        "posture": name,
        "reason": reason,
        "set_by": caller.party_id,
        "set_at": now,
        "command_id": command.command_id,
    }
    return Write(
        answer=answer,
        command=command_row,
        outbox=outbox_row,
        posture=PostureChange(row=row, previous=previous),
        key=key_row(
            key, party_id=caller.party_id, body=body, answer=answer, location=None, now=now
        ),
        audit=audit.Entry(
            at=now,
            actor=caller.party_id,
            kind="posture.set",
            details={
                "scope": scope,
                "posture": name,
                "previous": replaced,
                "reason": reason,
                "command_id": command.command_id,
                "via": caller.via,
            },
        ),
    )
