"""The SSRF guard refuses non-public addresses unless allow-listed, before any connection."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from sosa.notifier.ssrf import BlockedAddressError, allowed, guarded_client, refusal

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1",
     "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not allowed(address, [])


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
