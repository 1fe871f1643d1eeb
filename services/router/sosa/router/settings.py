"""Router's settings (`SOSA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from sosa.infra.api_settings import ApiSettings


class RouterSettings(ApiSettings):
    """The router serves health, metrics and, in tests only, the test clock; the test clock
    takes an operator's credential (`SOSA_BOOTSTRAP_OPERATOR_KEY` or a JWT of the configured
    issuer: the router keeps no copy of the parties' API keys)."""

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
    router_linger_ms: float = Field(
        default=20.0,
        ge=0,
        le=100,
        description="After a poll of fewer than SOSA_ROUTER_LINGER_BELOW commands, wait this "
        "long for more before deciding them, so that a steady stream's batches are larger "
        "(each batch pays one database and one Kafka transaction); 0: never wait.",
    )
    router_linger_below: int = Field(
        default=64,
        ge=1,
        description="A poll of fewer commands than this waits SOSA_ROUTER_LINGER_MS for more.",
    )
    router_timer_interval_s: float = Field(
        default=1.0, gt=0, description="How often the router looks for due reminders/deadlines."
    )
    router_clock_control: bool = Field(
        default=False,
        description="The test clock: expose POST /v1/clock/advance, for operators only, to move "
        "the router's time forward (tests only; never in production; `make run` leaves it off).",
    )
    extra_closures: list[str] = Field(
        default_factory=list,
        description="Extra non-working days (ISO dates) besides US federal holidays.",
    )
