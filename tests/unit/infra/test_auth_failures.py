"""The limiter of failed authentications per client address (pure; times passed in)."""

from __future__ import annotations

from ipaddress import ip_network

from sosa.infra.auth_failures import FailureLimiter, client_address


def test_an_address_is_blocked_after_limit_failures_within_the_window() -> None:
    limiter = FailureLimiter(limit=3, window_s=60)
    assert [limiter.fail("a", t) for t in (0.0, 10.0, 20.0)] == [False, False, True]
    assert limiter.blocked("a", 20.0) == 40.0  # the failure at 0 leaves the window at 60
    assert limiter.blocked("a", 59.5) == 1.0  # rounded up, never 0
    assert limiter.blocked("b", 20.0) == 0.0  # other addresses are unaffected
    assert limiter.blocked("a", 60.0) == 0.0  # one slot free again
    assert limiter.fail("a", 61.0)  # ...and used: blocked until 10 + 60
    assert limiter.blocked("a", 61.0) == 9.0


def test_failures_outside_the_window_do_not_add_up() -> None:
    limiter = FailureLimiter(limit=3, window_s=60)
    for t in (0.0, 50.0, 100.0, 150.0, 200.0):
        limiter.fail("a", t)
        assert limiter.blocked("a", t) == 0.0
    assert limiter.blocked("a", 1000.0) == 0.0
    assert len(limiter) == 0  # forgotten once its failures left the window


def test_stale_addresses_are_evicted() -> None:
    limiter = FailureLimiter(limit=5, window_s=60)
    for i in range(100):
        limiter.fail(f"10.0.0.{i}", float(i))
    assert len(limiter) == 60  # each failure drops the addresses whose window passed (0..39)
    limiter.fail("192.0.2.1", 130.0)  # a last failure at 70 or before has left the window
    assert len(limiter) == 29 + 1


def test_the_number_of_addresses_is_capped_dropping_the_oldest() -> None:
    limiter = FailureLimiter(limit=2, window_s=60, max_addresses=3)
    for address, t in (("a", 0.0), ("b", 1.0), ("a", 2.0), ("c", 3.0), ("d", 4.0)):
        limiter.fail(address, t)
    assert len(limiter) == 3
    assert limiter.blocked("a", 5.0) > 0  # a failed last at 2: kept, b (last at 1) dropped
    limiter.fail("b", 5.0)
    assert limiter.blocked("b", 5.0) == 0.0  # b's first failure was forgotten


def test_the_warning_moment_comes_once() -> None:
    limiter = FailureLimiter(limit=2, window_s=60)
    assert [limiter.fail("a", t) for t in (0.0, 1.0, 2.0, 3.0)] == [False, True, False, False]


def test_the_client_address_believes_forwarded_for_only_from_trusted_proxies() -> None:
    proxies = [ip_network("10.0.0.0/8")]
    assert client_address("192.0.2.1", None) == "192.0.2.1"
    assert client_address("192.0.2.1", "198.51.100.1") == "192.0.2.1"  # no proxies listed
    assert client_address("192.0.2.1", "198.51.100.1", proxies) == "192.0.2.1"  # not a proxy
    assert client_address("10.0.0.1", "198.51.100.1", proxies) == "198.51.100.1"
    # the client may prepend anything: the rightmost untrusted hop counts
    assert client_address("10.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.2", proxies) == (
        "198.51.100.1"
    )
    assert client_address("10.0.0.1", "not-an-ip", proxies) == "10.0.0.1"
    assert client_address("10.0.0.1", "10.0.0.3", proxies) == "10.0.0.3"
    assert client_address(None, None) == "unknown"
