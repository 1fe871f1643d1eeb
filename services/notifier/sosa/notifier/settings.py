"""Notifier's settings (`SOSA_*` environment variables; every one is listed in .env.example)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

from pydantic import Field, SecretStr

from sosa.infra.api_settings import ApiSettings


class NotifierSettings(ApiSettings):
    notifier_database_url: str = "sqlite+aiosqlite:///var/sosa/notifier.db"
    notifier_port: int = Field(default=8002, ge=1, le=65535)
    notifier_group: str = "sosa-notifier"
    notifier_source: str = "/sosa/notifier"
    notifier_parties_group: str = Field(
        default="sosa-notifier-parties",
        description="Consumer group reading parties and key hashes from `sosa.parties.v1`.",
    )
    operator_parties: list[str] = Field(
        default_factory=lambda: ["sosa-operators"],
        description="Parties in the operator role: they hear every outcome and every alert.",
    )

    # --- webhooks ---
    webhook_timeout_s: float = Field(default=15.0, gt=0)
    webhook_allowed_networks: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Non-public networks webhooks may still go to (e.g. 127.0.0.0/8 in tests); "
        "plain http is accepted only towards these.",
    )
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
        description="Delay before each attempt (the first is immediate); Svix's by default.",
    )
    retry_jitter: float = Field(default=0.1, ge=0, le=1)
    retry_after_max_s: float = Field(default=86400.0, ge=0)
    dispatch_concurrency: int = Field(default=32, ge=1)
    endpoint_concurrency: int = Field(
        default=4, ge=1, description="Attempts in flight to one endpoint (per notifier process)."
    )
    claim_ahead: int = Field(
        default=4,
        ge=1,
        description="Deliveries claimed ahead per attempt slot: a channel holds up to its limit "
        "times this (in flight or queued), so that one claim transaction feeds many attempts.",
    )
    record_linger_s: float = Field(
        default=0.05,
        ge=0,
        le=1.0,
        description="A finished attempt waits this long for others before they are recorded "
        "together in one transaction, when others are under way (its slot takes the next "
        "delivery meanwhile). At most 1 s: an answered attempt not yet recorded is sent again "
        "if the process dies, and its delivery log and the delivery's state wait as long.",
    )
    lease_margin_s: float = Field(
        default=10.0,
        gt=0,
        description="A claimed delivery is leased for timeout x claim-ahead + this margin.",
    )
    endpoint_disable_after_s: float = Field(
        default=5 * 86400.0, ge=0, description="Failing this long without one success disables."
    )
    endpoint_disable_min_failures: int = Field(default=10, ge=1)
    webhook_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Fernet keys encrypting webhook signing secrets at rest (JSON list): the "
        "first encrypts, all decrypt; rotate by putting a new key first. Empty: secrets are "
        "stored in plain text (never in production).",
    )
    secret_grace_s: float = Field(
        default=86400.0, ge=0, description="How long a rotated-out secret still signs."
    )

    # --- deadline-aware escalation ---
    escalation_margin_s: float = Field(
        default=86400.0,
        ge=0,
        description="A clock notification still undelivered this long before its deadline goes "
        "through the party's other channels too.",
    )
    maintenance_interval_s: float = Field(default=1.0, gt=0)
    cors_allow_origins: list[str] = Field(
        default_factory=list,
        description="Origins whose pages may call the notifier's API from a browser (with "
        "Authorization, Last-Event-ID and a JSON body): intake's dashboard and workspace, e.g. "
        '["http://127.0.0.1:8000"]. The credential still decides what each call may do.',
    )

    # --- e-mail ---
    smtp_host: str = Field(default="", description="Empty: e-mail attempts fail as unconfigured.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: bool = Field(default=False, description="Implicit TLS (port 465).")
    smtp_starttls: bool = Field(default=False, description="Require STARTTLS.")
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    smtp_from: str = "sosa notifier <notifier@sosa.invalid>"
    email_concurrency: int = Field(default=4, ge=1)

    # --- live stream ---
    stream_poll_s: float = Field(default=0.25, gt=0)
    stream_ping_s: float = Field(default=15.0, gt=0)
    stream_max_per_party: int = Field(
        default=5,
        ge=1,
        description="Live streams one party may hold open on one notifier process; one more is "
        "answered 429 with Retry-After.",
    )
    stream_recheck_s: float = Field(
        default=2.0,
        gt=0,
        description="How often an open stream checks its credential again: a revoked key, a "
        "disabled party or an expired token ends it within this (plus the party copy's lag).",
    )
    recover_max_window_s: float = Field(default=14 * 86400.0, gt=0)
