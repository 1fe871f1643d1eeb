"""The Kafka principals tests act as. The brokers of scripts/kafka.sh authenticate every client
(SASL/SCRAM-SHA-512) and authorize it by ACLs; their users' passwords are in the credentials file
the test scripts name in SOSA_TEST_KAFKA_CREDENTIALS (scripts/with-infra.sh, test-faults.sh).

- Each service of a test stack runs as its own principal (sosa-intake, sosa-router,
  sosa-notifier), with the ACLs the stack's provisioning created for its topic prefix, exactly as
  a deployment runs: that the end-to-end tests pass shows each service can do its job.
- The test process itself, where it builds clients of its own (reading topics to check them,
  writing hostile records straight onto a topic, creating scratch topics), acts as the broker's
  super user, sosa-admin: `as_super_user(...)` says so at each such place. scripts/with-infra.sh
  also exports the super user's SOSA_KAFKA_USERNAME/PASSWORD, so settings a test builds without
  naming a principal are the super user's too.
"""

from __future__ import annotations

import asyncio
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

from sosa.infra.bus_provisioning import ProvisioningSettings, provision
from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings

SUPER_USER = "sosa-admin"
OPERATOR = "sosa-operator"
SERVICE_PRINCIPALS = {"intake": "sosa-intake", "router": "sosa-router", "notifier": "sosa-notifier"}
CREDENTIALS_VARIABLE = "SOSA_TEST_KAFKA_CREDENTIALS"


@cache
def _passwords(path: str) -> dict[str, str]:
    lines = Path(path).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def password_of(user: str) -> str:
    path = os.environ.get(CREDENTIALS_VARIABLE)
    if not path:
        raise RuntimeError(
            f"{CREDENTIALS_VARIABLE} is not set: run the tests through scripts/test.sh (or "
            "scripts/with-infra.sh), which points it at the broker's credentials file"
        )
    return _passwords(path)[user]


def security_env(user: str, password: str | None = None) -> dict[str, str]:
    """The SOSA_KAFKA_* variables of a process that acts as `user`."""
    return {
        "SOSA_KAFKA_SECURITY_PROTOCOL": os.environ.get(
            "SOSA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"
        ),
        "SOSA_KAFKA_SASL_MECHANISM": os.environ.get("SOSA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        "SOSA_KAFKA_USERNAME": user,
        "SOSA_KAFKA_PASSWORD": password if password is not None else password_of(user),
    }


def service_env(service: str) -> dict[str, str]:
    """The variables that make a process of `service` (intake, router, notifier) its principal."""
    return security_env(SERVICE_PRINCIPALS[service])


def settings_as(
    bootstrap: str, user: str, password: str | None = None, **fields: Any
) -> CommonSettings:
    env = security_env(user, password)
    return CommonSettings(
        kafka_bootstrap_servers=bootstrap,
        kafka_security_protocol=env["SOSA_KAFKA_SECURITY_PROTOCOL"],
        kafka_sasl_mechanism=env["SOSA_KAFKA_SASL_MECHANISM"],
        kafka_username=user,
        kafka_password=env["SOSA_KAFKA_PASSWORD"],
        **fields,
    )


def as_user(bootstrap: str, user: str, password: str | None = None) -> dict[str, Any]:
    """aiokafka client options (bootstrap servers and SASL) of `user`."""
    return client_options(settings_as(bootstrap, user, password))


def as_super_user(bootstrap: str) -> dict[str, Any]:
    """aiokafka client options of the broker's super user: for what a test does behind the
    services' backs (hostile records, reading whole topics, scratch topics), which no service
    principal may."""
    return as_user(bootstrap, SUPER_USER)


def provision_stack(env: dict[str, str]) -> None:
    """Create the topics and ACLs of the deployment `env` describes (its topic prefix, groups,
    transactional ids), as the super user: what a deployment's provisioning step does. Runs
    on a thread of its own, so that it may be called from a running event loop."""
    names = {k[len("SOSA_") :].lower(): v for k, v in env.items() if k.startswith("SOSA_")}
    fields = {k: v for k, v in names.items() if k in ProvisioningSettings.model_fields}
    fields.update(
        kafka_security_protocol=os.environ.get("SOSA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        kafka_username=SUPER_USER,
        kafka_password=password_of(SUPER_USER),
    )
    settings = ProvisioningSettings(**fields)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(provision(settings, settings.layout()))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="provision-stack")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def super_user_settings(bootstrap: str, **fields: Any) -> CommonSettings:
    """Settings of the broker's super user (for sosa.ops readers a test uses to check topics)."""
    return settings_as(bootstrap, SUPER_USER, **fields)
