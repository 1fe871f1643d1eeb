"""Notifier's settings (`SOSA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from sosa.infra.settings import CommonSettings


class NotifierSettings(CommonSettings):
    notifier_database_url: str = "sqlite+aiosqlite:///var/sosa/notifier.db"
    notifier_port: int = Field(default=8002, ge=1, le=65535)
    notifier_group: str = "sosa-notifier"
    webhook_timeout_s: float = Field(default=15.0, gt=0)
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        description="Delay before each attempt (the first is immediate); Svix's by default.",
    )
    dispatch_concurrency: int = Field(default=32, ge=1)
