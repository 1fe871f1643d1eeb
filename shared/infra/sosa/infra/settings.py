"""Settings every service shares, read from `SOSA_*` environment variables (see .env.example)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TracesExporter = Literal["none", "otlp", "console"]
KafkaSecurityProtocol = Literal["SASL_PLAINTEXT", "SASL_SSL", "PLAINTEXT"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class CommonSettings(BaseSettings):
    """Kafka, logging and start-up settings common to intake, router and notifier."""

    model_config = SettingsConfigDict(env_prefix="SOSA_", extra="ignore", env_file=None)

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="SASL_PLAINTEXT",
        description="SASL_SSL in production (TLS, the broker's CA in SOSA_KAFKA_SSL_CAFILE); "
        "SASL_PLAINTEXT only on loopback (scripts/kafka.sh); PLAINTEXT only for a broker "
        "without authentication.",
    )
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_username: str = Field(
        default="", description="This process's Kafka principal (one per service, docs/kafka.md)."
    )
    kafka_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="PEM file of the CA that signed the brokers' certificates (SASL_SSL); "
        "unset: the system's trust store.",
    )
    topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name; lets several test runs share one broker.",
    )
    kafka_max_partition_fetch_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="The most bytes a consumer fetches ahead per partition (aiokafka's "
        "max_partition_fetch_bytes; its default is 1 MiB): what a consumer catching up a "
        "backlog holds before it reads it, per partition it reads (docs/performance.md). A "
        "record larger than this is still fetched, alone.",
    )
    kafka_max_poll_records: int = Field(
        default=250,
        ge=1,
        description="The most records one poll of a consumer returns, which a service then "
        "applies in one batch (one transaction): larger batches cost less CPU per record and "
        "more memory while a backlog is caught up (docs/performance.md).",
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
