"""How a Kafka client of this deployment proves who it is: the SASL and TLS options every aiokafka
client the project makes is given (producers, consumers, admin clients, the operators' tool)."""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from sosa.infra.settings import CommonSettings


class MissingKafkaCredentialsError(ValueError):
    """SASL is configured but no username or password is: fail at start, not at each request."""


def client_options(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "PLAINTEXT":
        return options
    password = settings.kafka_password.get_secret_value()
    if not settings.kafka_username or not password:
        raise MissingKafkaCredentialsError(
            f"SOSA_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
            "SOSA_KAFKA_USERNAME and SOSA_KAFKA_PASSWORD (this process's Kafka principal)"
        )
    options.update(
        sasl_mechanism=settings.kafka_sasl_mechanism,
        sasl_plain_username=settings.kafka_username,
        sasl_plain_password=password,
    )
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    return options
