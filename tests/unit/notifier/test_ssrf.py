"""The SSRF guard refuses non-public addresses unless allow-listed, before any connection."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import httpx
import pytest

from sosa.notifier.ssrf import (
    BlockedAddressError,
    allowed,
    embedded_ipv4,
    guarded_client,
    refusal,
)

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1",
     "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not allowed(address, [])


def v6(prefix: int, ipv4: str) -> str:
    """An IPv6 address that is `prefix` (the upper 96 bits) followed by `ipv4`, by hand."""
    return str(ipaddress.IPv6Address(prefix | int(ipaddress.IPv4Address(ipv4))))


def mapped(ipv4: str) -> str:
    return v6(0xFFFF << 32, ipv4)


def compatible(ipv4: str) -> str:
    return v6(0, ipv4)


def nat64(ipv4: str) -> str:
    return v6(0x0064FF9B << 96, ipv4)


def nat64_local(ipv4: str) -> str:
    return v6((0x0064FF9B0001 << 80), ipv4)


def sixtofour(ipv4: str) -> str:
    return str(ipaddress.IPv6Address((0x2002 << 112) | (int(ipaddress.IPv4Address(ipv4)) << 80)))


def teredo(client: str, server: str = "65.54.227.120") -> str:
    """Teredo (RFC 4380): 2001:0000:<server>:<flags>:<port ^ 0xffff>:<client ^ 0xffffffff>."""
    high = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64) | (0x8000 << 48)
    port = (0xFFFF ^ 40000) << 32
    return str(
        ipaddress.IPv6Address(high | port | (int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF))
    )


NON_PUBLIC_IPV4 = [
    "10.0.0.1", "172.16.0.1", "192.168.1.1",  # private
    "127.0.0.1",  # loopback
    "169.254.169.254",  # link-local (cloud metadata)
    "0.0.0.0",  # unspecified
    "224.0.0.1", "239.255.255.250",  # multicast
    "240.0.0.1", "255.255.255.255",  # reserved, broadcast
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "198.18.0.1", "192.0.0.8",  # benchmarking, IETF protocol assignments
]  # fmt: skip
EMBEDDINGS: dict[str, Callable[[str], str]] = {
    "IPv4-mapped": mapped,
    "IPv4-compatible": compatible,
    "NAT64 64:ff9b::/96": nat64,
    "NAT64 local-use 64:ff9b:1::/48": nat64_local,
    "6to4": sixtofour,
    "Teredo client": teredo,
}


@pytest.mark.parametrize("form", list(EMBEDDINGS))
@pytest.mark.parametrize("ipv4", NON_PUBLIC_IPV4)
def test_ipv6_forms_embedding_a_non_public_ipv4_are_refused(form: str, ipv4: str) -> None:
    address = EMBEDDINGS[form](ipv4)
    assert not allowed(address, []), address
    assert not allowed(address, LOOPBACK), address  # allow-listing 127/8 allows no embedding


@pytest.mark.parametrize(
    ("address", "ipv4"),
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::a00:1", "10.0.0.1"),  # the form the attack run used
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("2002:a00:1::", "10.0.0.1"),
        ("2002:a9fe:a9fe:1::1", "169.254.169.254"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.1"),  # Teredo: client bits inverted
    ],
)
def test_the_embedded_ipv4_is_found(address: str, ipv4: str) -> None:
    embedded = embedded_ipv4(ipaddress.IPv6Address(address))
    assert ipaddress.IPv4Address(ipv4) in embedded
    # the helpers that build the table's addresses agree with Python's own decoders
    assert ipaddress.IPv6Address(mapped(ipv4)).ipv4_mapped == ipaddress.IPv4Address(ipv4)
    assert ipaddress.IPv6Address(sixtofour(ipv4)).sixtofour == ipaddress.IPv4Address(ipv4)
    assert ipaddress.IPv6Address(teredo(ipv4)).teredo[1] == ipaddress.IPv4Address(ipv4)  # type: ignore[index]


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34", "2606:4700::1111", "2a00:1450:4001:80b::200e",
        sixtofour("8.8.8.8"), nat64("8.8.8.8"), compatible("8.8.8.8"),
    ],
)  # fmt: skip
def test_public_forms_pass(address: str) -> None:
    assert allowed(address, []), address


@pytest.mark.parametrize(
    "address",
    ["::", "::1", "ff02::1", "fc00::1", "fd12:3456::1", "fe80::1%eth0", "2001:db8::1",
     nat64_local("8.8.8.8"), "::ffff:0:0"],
)  # fmt: skip
def test_non_public_ipv6_is_refused(address: str) -> None:
    assert not allowed(address, [])


@pytest.mark.parametrize("form", list(EMBEDDINGS))
async def test_embedded_private_ipv4_is_refused_at_subscription_and_at_connection(
    form: str,
) -> None:
    address = EMBEDDINGS[form]("10.0.0.1")

    async def dns(_host: str, _port: int) -> list[str]:
        return [address]

    reason = await refusal("https://hook.example/x", [], resolver=dns)
    assert reason is not None
    assert address in reason
    literal = await refusal(f"https://[{address}]/x", [], resolver=lambda h, p: _itself(h))
    assert literal is not None
    async with guarded_client([], resolver=dns) as client:
        with pytest.raises(BlockedAddressError, match="SSRF guard"):
            await client.post("https://hook.example/hook", content=b"{}")


async def _itself(host: str) -> list[str]:
    return [host]


def test_public_addresses_and_allow_listed_networks_pass() -> None:
    assert allowed("93.184.216.34", [])
    assert allowed("2606:4700::1111", [])
    assert allowed("127.0.0.1", LOOPBACK)
    assert not allowed("10.0.0.1", LOOPBACK)


async def fake_dns(_host: str, _port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_a_name_resolving_to_loopback_is_refused_at_connection() -> None:
    async with guarded_client([], resolver=fake_dns) as client:
        with pytest.raises(BlockedAddressError, match="SSRF guard"):
            await client.post("http://rebinding.example/hook", content=b"{}")


async def test_subscription_time_rules() -> None:
    assert await refusal("http://h.example/x", LOOPBACK, resolver=fake_dns) is None
    assert "allow-listed" in (await refusal("http://h.example/x", [], resolver=fake_dns) or "")

    async def public(_host: str, _port: int) -> list[str]:
        return ["93.184.216.34"]

    assert await refusal("https://h.example/x", [], resolver=public) is None
    assert "https" in (await refusal("http://h.example/x", [], resolver=public) or "")
    assert "credentials" in (await refusal("https://u:p@h.example/", [], resolver=public) or "")


def test_the_client_follows_no_redirects_and_ignores_proxy_settings() -> None:
    client = guarded_client([])
    assert client.follow_redirects is False
    assert client.trust_env is False
    assert isinstance(client, httpx.AsyncClient)
