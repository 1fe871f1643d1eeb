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
        default="sosa-router-1",
        description="Kafka transactional id; stable per instance so a restart fences its zombie.",
    )
    extra_closures: list[str] = Field(
        default_factory=list,
        description="Extra non-working days (ISO dates) besides US federal holidays.",
    )
