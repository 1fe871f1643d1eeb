"""Identifiers a client names in a path or a query: a request, a command, an endpoint, a key.

Every identifier the services issue is a UUID, a hex key id or a party id, so one shape covers
them all: up to 128 letters, digits and `._:-`, starting with a letter or a digit (the shape of
`sosa.contracts.requests.PartyId`). Anything else (a NUL byte, which PostgreSQL refuses in text,
a space, a megabyte) is a 422 naming the parameter, instead of a database error or a lookup that
cannot match. An identifier of the right shape that names nothing is still a 404.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import StringConstraints

PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

ResourceId = Annotated[str, StringConstraints(pattern=PATTERN)]
"""The identifier of a resource, as a path or query parameter."""
