"""The SASL and TLS options every Kafka client is given (sosa.infra.kafka_security)."""

from __future__ import annotations

import ssl

import pytest

from sosa.infra.kafka_security import MissingKafkaCredentialsError, client_options
from sosa.infra.settings import CommonSettings


@pytest.fixture(autouse=True)
def no_kafka_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """make test exports the super user's SOSA_KAFKA_* for the test process: not here."""
    for name in ("USERNAME", "PASSWORD", "SECURITY_PROTOCOL", "SASL_MECHANISM", "SSL_CAFILE"):
        monkeypatch.delenv(f"SOSA_KAFKA_{name}", raising=False)


def settings(**fields: object) -> CommonSettings:
    return CommonSettings(kafka_bootstrap_servers="b:9092", **fields)  # type: ignore[arg-type]


def test_sasl_clients_authenticate_with_scram_as_their_principal() -> None:
    options = client_options(settings(kafka_username="sosa-router", kafka_password="pw-1"))
    assert options == {
        "bootstrap_servers": "b:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "sosa-router",
        "sasl_plain_password": "pw-1",
    }


@pytest.mark.parametrize(
    "fields",
    [{}, {"kafka_username": "sosa-router"}, {"kafka_password": "pw"}],
    ids=["nothing", "no password", "no username"],
)
def test_sasl_without_a_username_and_password_fails_before_connecting(
    fields: dict[str, str],
) -> None:
    with pytest.raises(MissingKafkaCredentialsError, match="SOSA_KAFKA_USERNAME"):
        client_options(settings(**fields))


def test_sasl_ssl_verifies_the_brokers_against_the_system_trust_store_by_default() -> None:
    options = client_options(
        settings(kafka_security_protocol="SASL_SSL", kafka_username="u", kafka_password="p")
    )
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_plaintext_is_only_what_is_asked_for_and_carries_no_credential() -> None:
    options = client_options(settings(kafka_security_protocol="PLAINTEXT", kafka_password="p"))
    assert options == {"bootstrap_servers": "b:9092", "security_protocol": "PLAINTEXT"}


def test_the_password_never_shows_in_the_settings_repr() -> None:
    assert "pw-secret" not in repr(settings(kafka_username="u", kafka_password="pw-secret"))
