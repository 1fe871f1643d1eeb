"""Router's settings (`SOSA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from sosa.infra.settings import CommonSettings


class RouterSettings(CommonSettings):
    router_database_url: str = "sqlite+aiosqlite:///var/sosa/router.db"
    router_port: int = Field(default=8001, ge=1, le=65535)
    router_group: str = "sosa-router"
    router_source: str = Field(
        default="/sosa/router", description="CloudEvents source of outcomes."
    )
    router_transactional_id: str = Field(
        default="sosa-router",
        description="Prefix of the transactional ids, one per input partition (<prefix>-<topic>-"
        "<partition>): the owner of a partition fences any zombie that owned it before.",
    )
    determination_party: str = Field(
        default="us-dod-ibp", description="Party id of DoD's program determination authority."
    )
    authorization_party: str = Field(
        default="us-doc-bis", description="Party id of Commerce's rating authorization authority."
    )
    router_timer_interval_s: float = Field(
        default=1.0, gt=0, description="How often the router looks for due reminders/deadlines."
    )
    router_clock_control: bool = Field(
        default=False,
        description="Expose POST /v1/clock/advance to move the router's time forward "
        "(tests and demonstrations only; never in production).",
    )
    extra_closures: list[str] = Field(
        default_factory=list,
        description="Extra non-working days (ISO dates) besides US federal holidays.",
    )
