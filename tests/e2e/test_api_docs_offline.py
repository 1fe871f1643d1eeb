"""The OpenAPI pages (`/docs`: Swagger UI, `/redoc`: ReDoc) of intake and the notifier work with no
route to the internet (issue #26): headless Chromium whose host resolver answers NOTFOUND for every
name but 127.0.0.1 loads each page from the running services, which list their operations, with
no request that failed and no Content-Security-Policy violation but one: ReDoc's attribution logo
(an image on redoc.ly), which the policy blocks as it should."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import chromium
from tests.e2e.stack import Stack
from tests.e2e.test_dashboard import until

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(240)]


NO_INTERNET = (
    # every name but the loopback address resolves to nothing, and anything that would still go
    # out goes to a proxy where nothing listens
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
)


@pytest.fixture
def offline_browser() -> Iterator[WebDriver]:
    with chromium(flags=NO_INTERNET) as driver:
        yield driver


async def operation_paths(stack: Stack, service: str) -> set[str]:
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{stack.url(service)}/openapi.json")).json()
    return set(document["paths"])


ATTRIBUTION_LOGO = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"
"""ReDoc's "API docs by Redocly" logo: the policy blocks it (no request leaves), the rest works."""


def problems_logged(driver: WebDriver) -> list[str]:
    """What the browser reported: CSP violations (but the attribution logo's), failed loads."""
    messages = [str(entry["message"]) for entry in driver.get_log("browser")]
    return [
        m
        for m in messages
        if ("Content Security Policy" in m or "Failed to load" in m or "ERR_" in m)
        and ATTRIBUTION_LOGO not in m
    ]


@pytest.mark.parametrize("service", ["intake", "notifier"])
async def test_swagger_ui_lists_every_operation_offline(
    shared_stack: Stack, offline_browser: WebDriver, service: str
) -> None:
    paths = await operation_paths(shared_stack, service)
    await asyncio.to_thread(offline_browser.get, f"{shared_stack.url(service)}/docs")

    def listed() -> set[str]:
        shown = offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        return {(e.get_attribute("data-path") or e.text).replace("\u200b", "") for e in shown}

    await until(lambda: paths <= listed(), f"Swagger UI lists every path of {service}")
    assert "Failed to load API definition" not in offline_browser.page_source
    assert problems_logged(offline_browser) == []


@pytest.mark.parametrize("service", ["intake", "notifier"])
async def test_redoc_lists_every_operation_offline(
    shared_stack: Stack, offline_browser: WebDriver, service: str
) -> None:
    paths = await operation_paths(shared_stack, service)
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{shared_stack.url(service)}/openapi.json")).json()
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert paths
    await asyncio.to_thread(offline_browser.get, f"{shared_stack.url(service)}/redoc")

    def listed() -> set[str]:
        shown = offline_browser.find_elements(By.CSS_SELECTOR, "[data-section-id^='operation/']")
        return {(e.get_attribute("data-section-id") or "").split("/", 1)[1] for e in shown}

    await until(lambda: operations <= listed(), f"ReDoc lists every operation of {service}")
    assert problems_logged(offline_browser) == []
