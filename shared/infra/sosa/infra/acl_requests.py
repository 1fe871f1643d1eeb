"""CreateAcls on the wire: aiokafka's admin client has no ACL call, so the request is built from
its protocol classes (aiokafka.protocol.admin, CreateAcls v1: the first with pattern types, and
the oldest Kafka 4 still serves) and sent through the admin client's connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest_v1
from aiokafka.protocol.api import Request

from sosa.infra.bus_acls import AclBinding

ANY_HOST = "*"
ALLOW = 3


class AclRefusedError(RuntimeError):
    """The broker refused to create an ACL (the caller is not the super user, or a bad binding)."""


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    """Several ACL creations in one request (aiokafka's own CreateAclsRequest carries one)."""

    API_KEY = 30

    def __init__(self, bindings: Sequence[AclBinding]) -> None:
        self._bindings = bindings

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(
            [
                (
                    int(b.resource_type),
                    b.resource_name,
                    int(b.pattern_type),
                    b.principal,
                    ANY_HOST,
                    int(b.operation),
                    ALLOW,
                )
                for b in self._bindings
            ]
        )


async def create_acls(admin: AIOKafkaAdminClient, bindings: Sequence[AclBinding]) -> None:
    """Create every binding (creating one that exists already changes nothing)."""
    if not bindings:
        return
    response: Any = await admin._send_request(_CreateAcls(bindings))
    refused = [
        f"{binding}: error {code} {message}"
        for binding, (code, message) in zip(bindings, response.creation_responses, strict=True)
        if code != 0
    ]
    if refused:
        raise AclRefusedError("; ".join(refused))
