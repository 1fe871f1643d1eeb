"""SSRF guard: webhooks go to public addresses only, unless a network is allow-listed.

The check happens where the connection is made (`GuardedBackend.connect_tcp`), after DNS
resolution, so a name that resolves to a private address (or is re-pointed at one after the
endpoint was registered) is refused too; TLS still verifies the endpoint's own host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]


class BlockedAddressError(Exception):
    """The endpoint's address is loopback, private, link-local or otherwise not public."""


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def allowed(address: str, networks: Iterable[IPNetwork]) -> bool:
    """A public address, or one inside an allow-listed network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return is_public(ip) or any(ip in net for net in networks if net.version == ip.version)


def allow_listed(address: str, networks: Iterable[IPNetwork]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in net for net in networks if net.version == ip.version)


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, refusing to connect to addresses the guard does not allow."""

    def __init__(self, networks: Sequence[IPNetwork], resolver: Resolver = resolve) -> None:
        self._networks = list(networks)
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        async with asyncio.timeout(timeout or 30):
            addresses = await self._resolve(host, port)
        usable = [a for a in addresses if allowed(a, self._networks)]
        if not usable:
            raise BlockedAddressError(
                f"refused by the SSRF guard: {host} resolves to {', '.join(addresses)}, "
                "which is not a public address and not allow-listed"
            )
        return await self._inner.connect_tcp(
            usable[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("unix sockets are never a webhook destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(
    networks: Sequence[IPNetwork], resolver: Resolver = resolve
) -> httpx.AsyncClient:
    """An HTTP client whose every connection passes the guard; no redirects, no proxies from the
    environment (a proxy would connect on our behalf, past the guard)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx offers no public hook for the network backend; the pool is rebuilt around ours
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=None,
        max_keepalive_connections=100,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(networks, resolver),
    )
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)


async def refusal(
    url: str, networks: Sequence[IPNetwork], resolver: Resolver = resolve
) -> str | None:
    """Why an endpoint URL is refused at subscription time, or None when it is acceptable.

    https to a public address is always fine; plain http only towards allow-listed networks
    (development and tests). The guard checks again at every connection.
    """
    parsed = httpx.URL(url)
    if parsed.scheme not in {"http", "https"}:
        return "only http and https endpoints are supported"
    if parsed.userinfo:
        return "credentials in the URL are not accepted; the signature authenticates sosa"
    try:
        async with asyncio.timeout(5):
            addresses = await resolver(parsed.host, parsed.port or 443)
    except (OSError, TimeoutError, UnicodeError):
        addresses = []
    blocked = [a for a in addresses if not allowed(a, networks)]
    if blocked:
        return (
            f"{parsed.host} resolves to {', '.join(blocked)}: not a public address and not "
            "allow-listed (SOSA_WEBHOOK_ALLOWED_NETWORKS)"
        )
    if parsed.scheme == "http" and not (
        addresses and all(allow_listed(a, networks) for a in addresses)
    ):
        return "plain http is accepted only towards allow-listed networks; use https"
    return None
