"""The operations dashboard in a real browser: headless Chromium (Debian's package, installed by
scripts/browser.sh; `tests.e2e.browser`) driven by Selenium against the three services.

The page loads; a request posted through the API shows in the live feed within seconds; another
party's request never does; the tables count only what the viewer may see (an operator sees
all); and a page that comes back resumes its feed from Last-Event-ID, missing nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from tests.e2e.browser import chromium
from tests.e2e.credentials import OPERATOR, ActingParty, token
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(240)]

OTHER = "mod-india-dgaq"  # a second requesting party: its requests are not the viewer's


def other_request() -> dict[str, Any]:
    return {
        **DPAS_REQUEST,
        "requester": {"party_id": OTHER, "kind": "us_dod", "country": "US"},
        "contract_number": "N00024-26-C-0999",
    }


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


async def until(check: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := await asyncio.to_thread(check):
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"within {timeout_s} s: {what}")


def feed_requests(driver: WebDriver) -> set[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "#feed li")
    return {item.get_attribute("data-request-id") or "" for item in items}


def table_text(driver: WebDriver, table: str) -> str:
    return str(driver.find_element(By.ID, table).text)


async def sign_in(driver: WebDriver, stack: Stack, credential: str) -> None:
    await asyncio.to_thread(driver.get, f"{stack.url('intake')}/dashboard")
    assert driver.title == "sosa · operations"
    await asyncio.to_thread(driver.find_element(By.ID, "key").send_keys, credential)
    await asyncio.to_thread(driver.find_element(By.ID, "connect").click)
    await until(
        lambda: driver.find_element(By.ID, "status").get_attribute("data-state") == "live",
        "the live feed connects",
    )
    # under its strict Content-Security-Policy (issue #23) the page's own script ran (the feed is
    # live), its stylesheet applied, and the browser reported no violation
    header = driver.find_element(By.TAG_NAME, "header")
    assert header.value_of_css_property("background-color") == "rgba(29, 53, 87, 1)"
    messages = [entry["message"] for entry in driver.get_log("browser")]
    assert not [m for m in messages if "Content Security Policy" in m], messages


async def submit(client: httpx.AsyncClient, stack: Stack, body: dict[str, Any]) -> str:
    answer = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["request_id"])


async def analytics_controls_work(browser: WebDriver, requester: str) -> None:
    """Every figure is on the panel with its method; the controls ask again (by item, rates by
    supplier, a period with none of the viewer's requests); CSV comes as the API exports it."""
    assert "US" in table_text(browser, "rates")  # every request of the viewer's is a US order
    methods = browser.find_element(By.ID, "analytics-methods").get_attribute("textContent") or ""
    assert "sum of squared shares" in methods
    assert "first answer" in methods
    for table in ("answer-times", "counter-offers"):
        assert browser.find_element(By.ID, table).find_elements(By.TAG_NAME, "th")
    await asyncio.to_thread(
        Select(browser.find_element(By.ID, "analytics-by")).select_by_value, "item"
    )
    await until(
        lambda: "ball valve, 2 inch" in table_text(browser, "concentration"),
        "concentration by item",
    )
    await asyncio.to_thread(
        Select(browser.find_element(By.ID, "analytics-group")).select_by_value, "supplier"
    )
    await until(lambda: "acme-valves" in table_text(browser, "rates"), "rates by supplier")
    assert OTHER not in table_text(browser, "rates")
    csv = await asyncio.to_thread(
        browser.execute_async_script,
        "const done = arguments[arguments.length - 1];"
        "fetch(analyticsQuery('rates', 'csv'), { headers: headers() })"
        ".then((r) => r.text()).then(done, (e) => done(String(e)));",
    )
    assert csv.startswith("# rates: "), csv
    assert '"group_by","key","requests"' in csv
    assert requester not in csv  # grouped by supplier: the requester is not a group
    await asyncio.to_thread(
        browser.execute_script,
        "const since = document.getElementById('analytics-since');"
        "since.value = '2099-01-01'; since.dispatchEvent(new Event('change', { bubbles: true }));",
    )
    await until(
        lambda: browser.find_element(By.ID, "analytics-count").text == "0",
        "a period with none of the viewer's requests counts none",
    )
    assert "2099-01-01" in browser.find_element(By.ID, "analytics-period").text


async def test_the_dashboard_shows_the_viewer_s_requests_live_and_never_another_party_s(
    stack: Stack, browser: WebDriver
) -> None:
    requester = str(DPAS_REQUEST["requester"]["party_id"])
    async with httpx.AsyncClient(auth=ActingParty(), timeout=10) as client:
        await sign_in(browser, stack, token(requester, "requester"))
        assert "dod-navsea" in browser.find_element(By.ID, "viewer").text

        mine = await submit(client, stack, DPAS_REQUEST)
        theirs = await submit(client, stack, other_request())
        await until(lambda: mine in feed_requests(browser), "the viewer's request in the feed")
        await until(
            lambda: "routed" in table_text(browser, "by-state"), "the summary counts it as routed"
        )
        # the other party's request is routed too: its outcome is on the stream (it may be on
        # another partition, decided in another batch than the viewer's: wait for it)
        async with httpx.AsyncClient(timeout=10) as operator:

            async def state_of_theirs() -> str:
                view = await operator.get(
                    f"{stack.url('intake')}/v1/priority-requests/{theirs}",
                    headers={"Authorization": f"Bearer {token(OPERATOR, 'operator')}"},
                )
                return str(view.json()["state"])

            deadline = time.monotonic() + 30
            while await state_of_theirs() != "routed" and time.monotonic() < deadline:  # noqa: ASYNC110 - polls the API
                await asyncio.sleep(0.2)
            assert await state_of_theirs() == "routed"
        await asyncio.sleep(2)  # time for a wrongly sent event to arrive
        assert theirs not in feed_requests(browser)
        assert theirs not in browser.page_source
        assert OTHER not in table_text(browser, "by-requester")
        assert requester in table_text(browser, "by-requester")

        # away from the page while a request is routed; back, the feed resumes where it was
        await asyncio.to_thread(browser.get, "about:blank")
        missed = await submit(client, stack, {**DPAS_REQUEST, "contract_number": "N00024-26-C-2"})
        await asyncio.to_thread(browser.get, f"{stack.url('intake')}/dashboard")
        await until(lambda: missed in feed_requests(browser), "the missed event, resumed")

        # the analytics panel counts the viewer's requests only (all DO-A3, one supplier)
        assert "A3" in table_text(browser, "concentration")
        assert "acme-valves 100%" in table_text(browser, "concentration")
        async with httpx.AsyncClient(timeout=10) as viewer:
            summary = await viewer.get(
                f"{stack.url('intake')}/v1/dashboard/summary",
                headers={"Authorization": f"Bearer {token(requester, 'requester')}"},
            )
        seen = summary.json()["total"]  # what the viewer may see; the other party's excluded
        await until(
            lambda: browser.find_element(By.ID, "analytics-count").text == str(seen),
            "the analytics panel counts the viewer's requests",
        )
        await analytics_controls_work(browser, requester)

        # the posture in force shows in the banner, highlighted as postures.json says
        assert "global peacetime" in browser.find_element(By.ID, "posture").text
        assert browser.find_element(By.ID, "posture").get_attribute("data-highlight") == "none"

        # the operator sees every party's requests
        await asyncio.to_thread(browser.execute_script, "sessionStorage.clear()")
        await sign_in(browser, stack, token(OPERATOR, "operator"))
        await until(
            lambda: OTHER in table_text(browser, "by-requester"), "the operator sees every party"
        )
        assert requester in table_text(browser, "by-requester")


async def test_the_operators_panels_show_lag_dead_letters_and_failures_by_endpoint(
    stack: Stack, browser: WebDriver
) -> None:
    """An endpoint of another party that refuses every delivery, and an unreadable outcome: the
    operator sees the failures by endpoint, the consumer lag of each group and the dead letters;
    the requester sees neither the pipeline panel nor the other party's endpoint."""
    requester = str(DPAS_REQUEST["requester"]["party_id"])
    operator_auth = {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"}
    async with httpx.AsyncClient(timeout=10, headers=operator_auth) as client:
        created = await client.post(
            f"{stack.url('notifier')}/v1/endpoints",
            json={"party_id": OTHER, "url": "http://127.0.0.1:9/refused"},  # nothing listens
        )
        assert created.status_code == 201, created.text
        refusing = created.json()["endpoint_id"]
    # hostile records straight onto the topic: only the brokers' super user may (no service
    # principal writes another's topic), so this producer is explicitly the super user's
    producer = AIOKafkaProducer(**as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]))
    await producer.start()
    try:
        outcomes = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1"
        await producer.send_and_wait(outcomes, b"{not json", key=b"dashboard-unreadable")
    finally:
        await producer.stop()
    async with httpx.AsyncClient(auth=ActingParty(), timeout=10) as client:
        await submit(client, stack, other_request())

    await sign_in(browser, stack, token(OPERATOR, "operator"))
    await until(
        lambda: refusing in browser.page_source or "127.0.0.1:9" in table_text(browser, "failures"),
        "the refusing endpoint's failures",
        60,
    )
    await until(lambda: "router" in table_text(browser, "lag"), "the router's lag")
    lag = table_text(browser, "lag")
    assert "notifier" in lag, lag
    assert "intake" in lag, lag
    await until(
        lambda: int(browser.find_element(By.ID, "dlq-count").text) >= 2,
        "the unreadable outcome, dead-lettered by the notifier and intake",
        60,
    )
    # a partner's posture colours the banner (armed conflict: red), back to none after
    async with httpx.AsyncClient(timeout=10, headers=operator_auth) as client:
        url = f"{stack.url('intake')}/v1/posture/IN"
        body = {"posture": "armed_conflict", "reason": "dashboard test"}
        assert (await client.put(url, json=body)).status_code == 202
        try:
            await until(
                lambda: (
                    browser.find_element(By.ID, "posture").get_attribute("data-highlight") == "red"
                ),
                "the banner in red",
            )
            assert "IN armed_conflict" in browser.find_element(By.ID, "posture").text
        finally:
            body = {"posture": "peacetime", "reason": "dashboard test over"}
            assert (await client.put(url, json=body)).status_code == 202
    letters = table_text(browser, "dlq-recent")
    assert "notifier" in letters, letters
    assert "intake" in letters, letters

    await asyncio.to_thread(browser.execute_script, "sessionStorage.clear()")
    await sign_in(browser, stack, token(requester, "requester"))
    await asyncio.sleep(1)  # a refresh of every panel
    assert not browser.find_element(By.ID, "pipeline-panel").is_displayed()
    assert "127.0.0.1:9" not in table_text(browser, "failures")
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(
            f"{stack.url('intake')}/v1/dashboard/pipeline",
            headers={"Authorization": f"Bearer {token(requester, 'requester')}"},
        )
    assert answer.status_code == 403, answer.text
