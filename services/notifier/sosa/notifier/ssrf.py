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


NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052: the IPv4 address is the last 32 bits; a NAT64 gateway connects to it."""
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
"""RFC 8215: local-use NAT64 prefixes, whose IPv4 sits where the operator's prefix length puts
it; never globally routed, so refused whatever it embeds (unless allow-listed)."""
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
"""RFC 4291's deprecated IPv4-compatible addresses `::a.b.c.d` (e.g. `::a00:1`)."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries, by which a connection may reach it: the
    IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, 6to4 `2002:AABB:CCDD::/16`,
    NAT64 `64:ff9b::/96`, and Teredo `2001::/32` (its server, and its client whose address is
    the last 32 bits inverted)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in IPV4_COMPATIBLE or address in NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


SPECIAL_IPV4 = [ipaddress.IPv4Network("192.0.0.0/24"), ipaddress.IPv4Network("192.88.99.0/24")]
"""IANA special-purpose blocks that Python 3.11's `is_global` does not cover in full (IETF
protocol assignments beyond 192.0.0.0/29; the deprecated 6to4 relay anycast)."""


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not any(address in net for net in SPECIAL_IPV4)
    )


def is_public(address: IPAddress) -> bool:
    """A globally routed unicast address that carries no non-public IPv4 address either.

    An IPv6 form that embeds an IPv4 address (see `embedded_ipv4`) is public only when the IPv6
    address is and every IPv4 address it embeds is: `64:ff9b::a00:1` reaches 10.0.0.1 through
    a NAT64 gateway, `2002:a00:1::` through a 6to4 relay.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    if address.ipv4_mapped is not None:  # the socket connects to the IPv4 address itself
        return _public_v4(address.ipv4_mapped)
    if address in NAT64_LOCAL_USE:
        return False
    embedded = embedded_ipv4(address)
    if address.is_unspecified or address.is_loopback:
        return False
    if embedded:  # Python's own tables call some of these forms global (::a00:1 in 3.11)
        return all(_public_v4(ip) for ip in embedded) and not address.is_multicast
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
