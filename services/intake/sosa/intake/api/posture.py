"""The posture of the arrangement (peacetime, emergency, armed conflict), global or per partner.

An operator sets it (`PUT /v1/posture/{scope}`); intake stores it with an audit entry and sends
a `SetPosture` command to the router in the same transaction (outbox), through the accept path
every command takes (`sosa.intake.commands.posture_change`, `writes.store_all`: group commit and
`Idempotency-Key`). The router applies it
from then on, plans the open requests' reminders again and publishes `sosa.posture.changed.v1`
on the outcome stream. Every authenticated party may read the postures in force: they change
what each party is asked for and when.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from sosa import rules
from sosa.contracts import posture
from sosa.contracts.posture import PostureName
from sosa.contracts.requests import LongText, Strict
from sosa.infra.auth import CallerDep
from sosa.intake import tables
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.commands.answers import PostureAccepted
from sosa.intake.commands.idempotency import IdempotencyKeyDep
from sosa.intake.commands.posture_change import posture_write
from sosa.intake.commands.writes import PostureMovedError
from sosa.intake.runtime import Runtime

router = APIRouter(prefix="/v1/posture", tags=["posture"])
_p = tables.postures
_TRIES = 3
"""Posture changes of one scope that may come first before a PUT gives up (409)."""
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
    responses=problems(
        403,
        409,
        422,
        503,
        _403="The caller is not an operator",
        _409="Other operators kept changing this scope's posture meanwhile",
    ),
)
async def set_posture(
    scope: ScopePath, body: PostureIn, rt: RuntimeDep, caller: CallerDep, key: IdempotencyKeyDep
) -> PostureAccepted:
    if not caller.operator:
        raise HTTPException(403, "only operators set the posture")
    if scope != posture.GLOBAL and rt.rules.registry.get(scope) is None:
        reason = f"{scope} is not a SOSA partner of the US (partners.json)"
        raise RequestValidationError([{"loc": ("path", "scope"), "msg": reason, "type": "value"}])
    for _ in range(_TRIES):
        async with rt.sessions() as session:
            previous = (
                await session.execute(select(_p.c.posture).where(_p.c.scope == scope))
            ).scalar_one_or_none()
        write = posture_write(
            scope,
            body.posture,
            body.reason,
            body=body,
            previous=previous,
            caller=caller,
            key=key,
            now=rt.clock.now(),
            source=rt.settings.intake_source,
        )
        try:
            return await rt.accept(write, key=key, party_id=caller.party_id, body=body)
        except PostureMovedError:
            continue  # another operator's change came first: read it, and go over it
    raise HTTPException(409, f"the posture of {scope} keeps changing; try again")
