"""Intake's settings (`SOSA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from sosa.infra.api_settings import ApiSettings


class IntakeSettings(ApiSettings):
    intake_database_url: str = "sqlite+aiosqlite:///var/sosa/intake.db"
    intake_port: int = Field(default=8000, ge=1, le=65535)
    intake_source: str = Field(
        default="/sosa/intake", description="CloudEvents source of commands."
    )
    intake_read_model_group: str = "sosa-intake-read-model"
    dashboard_notifier_url: str = Field(
        default="http://127.0.0.1:8002",
        description="The notifier's base URL as the viewer's browser reaches it: the dashboard "
        "reads its live stream and delivery failures there (the notifier must allow intake's "
        "origin: SOSA_CORS_ALLOW_ORIGINS).",
    )
    router_group: str = Field(
        default="sosa-router",
        description="The router's consumer group (the router's own variable): the dashboard "
        "shows its lag.",
    )
    notifier_group: str = Field(
        default="sosa-notifier",
        description="The notifier's consumer group (the notifier's own variable): the dashboard "
        "shows its lag.",
    )
    extra_closures: list[str] = Field(
        default_factory=list,
        description="Extra non-working days (ISO dates) besides US federal holidays; the same "
        "variable as the router's, so that a dry run computes the deadlines the router would.",
    )
    intake_group_commit_max_batch: int = Field(
        default=200,
        ge=1,
        le=1000,
        description="The most accepted POSTs stored in one transaction (group commit).",
    )
    intake_group_commit_max_wait_s: float = Field(
        default=0.002,
        ge=0,
        le=0.1,
        description="How long a group commit waits for more POSTs before it stores what it has.",
    )
    intake_ping_after_idle_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="A pooled database connection is pinged when it is handed out only if it "
        "sat in the pool at least this long (0: every time). One used a moment ago is trusted: "
        "if the server dropped it meanwhile, a group commit is stored again on a fresh "
        "connection (docs/guarantees.md), the read model and the relay retry their round, "
        "and any other request gets a 503.",
    )
    intake_group_commit_in_flight: int = Field(
        default=2, ge=1, le=16, description="Group commits that may run at the same time."
    )
    auth_cache_s: float = Field(
        default=1.0,
        ge=0,
        le=5,
        description="How long intake keeps what it read of a caller's credential (an API key, "
        "whether a token's party is disabled) and of the parties' registered facts a submit "
        "needs. Intake forgets it all whenever it changes a party or a key itself, so this is "
        "the bound after which a change made through another intake instance counts. 0: read "
        "on every request.",
    )
    audit_retention_days: int = Field(
        default=1096,
        ge=1096,
        description="Audit rows older than this may be pruned (15 CFR 700.91: three years).",
    )
