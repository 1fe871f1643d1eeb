"""The posture of the arrangement (peacetime, emergency, armed conflict), global or per partner.

An operator sets it (`PUT /v1/posture/{scope}`); intake stores it with an audit entry and sends
a `SetPosture` command to the router in the same transaction (outbox). The router applies it
from then on, plans the open requests' reminders again and publishes `sosa.posture.changed.v1`
on the outcome stream. Every authenticated party may read the postures in force: they change
what each party is asked for and when.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from sosa import rules
from sosa.contracts import commands, posture
from sosa.contracts.posture import PostureName
from sosa.contracts.requests import LongText, Strict
from sosa.infra.auth import CallerDep
from sosa.intake import audit, tables
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.command_log import command_rows
from sosa.intake.runtime import Runtime

router = APIRouter(prefix="/v1/posture", tags=["posture"])
_p = tables.postures
ScopePath = Annotated[
    str,
    Path(
        pattern=r"^(global|[A-Z]{2})$",
        description="`global`, or a SOSA partner's ISO 3166-1 alpha-2 country code.",
    ),
]


class PostureIn(Strict):
    posture: PostureName
    reason: LongText = Field(description="Why: kept in the audit log and sent to every party.")


class PostureSettingsOut(BaseModel):
    voluntary_target_working_days: int | None
    reminder_fractions: list[float]
    reminder_working_days_before: int
    escalation_margin_working_days: int
    retry_interval_factor: float
    second_channel_factor: float
    highlight: Literal["none", "amber", "red"]


class ScopePosture(BaseModel):
    scope: str
    posture: PostureName
    reason: str | None = Field(description="None: never set (peacetime).")
    set_by: str | None
    set_at: AwareDatetime | None
    settings: PostureSettingsOut


class Postures(BaseModel):
    """The postures in force: the global one and each partner's own."""

    global_posture: ScopePosture = Field(alias="global", serialization_alias="global")
    partners: list[ScopePosture] = Field(description="Partners with a posture of their own.")
    dpas_limits_unchanged: str = (
        "No posture changes the DPAS response limits of 15 CFR 700.13(d), (e): 15 working days "
        "(DO), 10 (DX), and the emergency-preparedness minimum hours."
    )

    model_config = {"populate_by_name": True}


class PostureAccepted(BaseModel):
    scope: str
    posture: PostureName
    previous: PostureName
    command_id: str
    received_at: AwareDatetime


def _settings(rt: Runtime, name: str) -> PostureSettingsOut:
    settings = rt.rules.postures.settings[rules.Posture(name)]
    return PostureSettingsOut.model_validate(settings.to_dict())


def _scope_posture(rt: Runtime, scope: str, row: Any | None) -> ScopePosture:
    name = row.posture if row is not None else "peacetime"
    return ScopePosture(
        scope=scope,
        posture=name,
        reason=row.reason if row is not None else None,
        set_by=row.set_by if row is not None else None,
        set_at=row.set_at if row is not None else None,
        settings=_settings(rt, name),
    )


@router.get(
    "",
    response_model=Postures,
    response_model_by_alias=True,
    summary="The postures in force, global and per partner, with what each sets",
    responses=problems(503),
)
async def postures_in_force(rt: RuntimeDep, caller: CallerDep) -> Postures:
    async with rt.sessions() as session:
        rows = {row.scope: row for row in (await session.execute(select(_p))).all()}
    partners = [_scope_posture(rt, s, r) for s, r in sorted(rows.items()) if s != posture.GLOBAL]
    return Postures.model_validate(
        {
            "global": _scope_posture(rt, posture.GLOBAL, rows.get(posture.GLOBAL)),
            "partners": partners,
        }
    )


@router.put(
    "/{scope}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PostureAccepted,
    summary="Set the posture of every partner (`global`) or of one partner (operators)",
    description="Stored with an audit entry and sent to the router, which applies it from now "
    "on to new decisions and to the reminders and escalations of the open requests it covers, "
    "and announces it on the outcome stream (`sosa.posture.changed.v1`).",
    responses=problems(403, 422, 503, _403="The caller is not an operator"),
)
async def set_posture(
    scope: ScopePath, body: PostureIn, rt: RuntimeDep, caller: CallerDep
) -> PostureAccepted:
    if not caller.operator:
        raise HTTPException(403, "only operators set the posture")
    if scope != posture.GLOBAL and rt.rules.registry.get(scope) is None:
        reason = f"{scope} is not a SOSA partner of the US (partners.json)"
        raise RequestValidationError([{"loc": ("path", "scope"), "msg": reason, "type": "value"}])
    now: datetime = rt.clock.now()
    command = commands.SetPosture(
        command_id=str(uuid.uuid4()),
        request_id=posture.subject(scope),
        received_at=now,
        scope=scope,
        posture=body.posture,
        reason=body.reason,
        set_by=caller.party_id,
    )
    command_row, outbox_row = command_rows(command, source=rt.settings.intake_source)
    values = {
        "posture": body.posture,
        "reason": body.reason,
        "set_by": caller.party_id,
        "set_at": now,
        "command_id": command.command_id,
    }
    async with rt.sessions() as session, session.begin():
        found = (
            await session.execute(select(_p.c.posture).where(_p.c.scope == scope).with_for_update())
        ).scalar_one_or_none()
        previous = found or "peacetime"
        if found is None:
            await session.execute(_p.insert().values(scope=scope, **values))
        else:
            await session.execute(_p.update().where(_p.c.scope == scope).values(**values))
        await session.execute(tables.commands.insert().values(**command_row))
        await session.execute(tables.outbox.insert().values(**outbox_row))
        await audit.append(
            session,
            at=now,
            actor=caller.party_id,
            kind="posture.set",
            details={
                "scope": scope,
                "posture": body.posture,
                "previous": previous,
                "reason": body.reason,
                "command_id": command.command_id,
            },
        )
    rt.relay.wake()
    return PostureAccepted(
        scope=scope,
        posture=body.posture,
        previous=previous,
        command_id=command.command_id,
        received_at=now,
    )
