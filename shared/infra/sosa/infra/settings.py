"""Settings every service shares, read from `SOSA_*` environment variables (see .env.example)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TracesExporter = Literal["none", "otlp", "console"]


class CommonSettings(BaseSettings):
    """Kafka, logging and start-up settings common to intake, router and notifier."""

    model_config = SettingsConfigDict(env_prefix="SOSA_", extra="ignore", env_file=None)

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name; lets several test runs share one broker.",
    )
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    log_level: str = "INFO"
    startup_timeout_s: float = Field(
        default=15.0, gt=0, description="How long to wait for Kafka and the database at start."
    )
    host: str = "127.0.0.1"
    traces_exporter: TracesExporter = Field(
        default="none",
        description="Where OpenTelemetry spans go: none (traceparent still propagates), otlp "
        "(OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT) or console.",
    )

    def topic(self, name: str) -> str:
        """The real name of a contract topic, with this deployment's prefix."""
        return f"{self.topic_prefix}{name}"
