"""Provisioning a deployment's bus, run as the broker's super user before the services start:
create the deployment's topics, then the ACLs of `sosa.infra.bus_acls` for its topic prefix,
groups and transactional ids. Safe to run again (nothing that exists is changed).

    SOSA_KAFKA_USERNAME=<super user> SOSA_KAFKA_PASSWORD=... python -m sosa.infra.bus_provisioning

It reads the same variables as the services (SOSA_TOPIC_PREFIX, SOSA_ROUTER_GROUP, ...), with the
same defaults, and the principals' names from SOSA_KAFKA_INTAKE_PRINCIPAL (and _ROUTER_,
_NOTIFIER_, _OPERATOR_).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from sosa.contracts import topics
from sosa.infra import kafka
from sosa.infra.acl_requests import create_acls
from sosa.infra.bus_acls import BusLayout, Principals, bindings
from sosa.infra.settings import CommonSettings

log = logging.getLogger(__name__)


class ProvisioningSettings(CommonSettings):
    """The deployment's names, read from the variables the services read (same defaults)."""

    intake_read_model_group: str = "sosa-intake-read-model"
    router_group: str = "sosa-router"
    router_transactional_id: str = "sosa-router"
    notifier_group: str = "sosa-notifier"
    notifier_parties_group: str = "sosa-notifier-parties"
    kafka_intake_principal: str = "sosa-intake"
    kafka_router_principal: str = "sosa-router"
    kafka_notifier_principal: str = "sosa-notifier"
    kafka_operator_principal: str = "sosa-operator"

    def layout(self) -> BusLayout:
        return BusLayout(
            topic_prefix=self.topic_prefix,
            intake_read_model_group=self.intake_read_model_group,
            router_group=self.router_group,
            router_transactional_id=self.router_transactional_id,
            notifier_group=self.notifier_group,
            notifier_parties_group=self.notifier_parties_group,
            principals=Principals(
                intake=self.kafka_intake_principal,
                router=self.kafka_router_principal,
                notifier=self.kafka_notifier_principal,
                operator=self.kafka_operator_principal,
            ),
        )


async def provision(settings: CommonSettings, layout: BusLayout) -> int:
    """Create the topics and ACLs of `layout`, as the principal of `settings` (the super user);
    returns how many ACL bindings the deployment has."""
    await kafka.ensure_topics(
        settings, topics.ALL, compacted=topics.COMPACTED, kept_forever=topics.KEPT_FOREVER
    )
    wanted = bindings(layout)
    admin = kafka.admin(settings, client_id="sosa-bus-provisioning")
    await kafka.start_checked(admin, settings)
    try:
        await create_acls(admin, wanted)
    finally:
        await kafka.close_quietly(admin)
    return len(wanted)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # "Authenticated as ..." per connection
    settings = ProvisioningSettings()
    count = asyncio.run(provision(settings, settings.layout()))
    prefix = settings.topic_prefix or "(none)"
    log.info("bus provisioned: %d topics, %d ACLs, topic prefix %s", len(topics.ALL), count, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
