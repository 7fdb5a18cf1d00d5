"""Browser tests: the OS package's Chromium, driven by Playwright, on the live
server and the journeys' gateway sandbox.

Nothing downloads a browser: without /usr/bin/chromium (`apt-get install chromium`)
the tests are skipped, and fail under REQUIRE_SERVICES=1 (`tests/services.py`).
A failed test leaves a screenshot under var/browser-failures/ and prints its path.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from tests.browser.shop import Screenshot, screenshots_into
from tests.journeys.shop import ShopConsumer, billing_for_the_shop
from tests.services import CHROMIUM, REDIS_URL, browser_problem

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No name but the loopback ones resolves: nothing leaves the machine, and the
    # shop's pages (https://cinema.example/…) are seen as the requests they are.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "browser-failures"
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Chromium for one test module (each test gets a fresh profile of its own).

    Playwright's synchronous API keeps an event loop on this thread while it runs;
    Django takes that for async code and refuses the tests' own queries unless
    told that this thread's code is synchronous, which it is.
    """
    problem = browser_problem()
    if problem is not None:
        pytest.skip(problem)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def fresh_page(request: pytest.FixtureRequest, chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) on a page of its own; a screenshot of
    it when the test fails."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"Screenshot of the failed browser test: {path}")  # noqa: T201
    context.close()


@pytest.fixture
def browser_page(
    live_server: LiveServer, gateway_sandbox: Sandbox, fresh_page: Page
) -> Page:
    """A fresh page, with the live server and the journeys' sandbox running."""
    return fresh_page


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """Saves a page for README when the run was given `--screenshots DIR`."""
    return screenshots_into(str(request.config.getoption("--screenshots")))


@dataclass(frozen=True)
class Shop:
    """The shop's pages at `url`, billing and the sandbox beside them."""

    url: str
    sandbox_url: str
    consumer: ShopConsumer


@pytest.fixture
def shop(
    live_server: LiveServer,
    journey_sandbox: SandboxThread,
    gateway_sandbox: Sandbox,
    settings: Settings,
) -> Iterator[Shop]:
    """The shop as `make run` has it: pages, billing's gRPC server, the shop's
    consumer of billing's events, the sandbox's card page, reactions in Redis."""
    settings.CHECKOUT_BASE_URL = live_server.url
    settings.SHOP_CHECKOUT_RETURN_URL = f"{live_server.url}/shop/orders/{{order_id}}/"
    reactions = redis.Redis.from_url(REDIS_URL)
    reactions.flushdb()
    with billing_for_the_shop() as billing:
        consumer = ShopConsumer(f"127.0.0.1:{billing.port}")
        consumer.start()
        try:
            yield Shop(live_server.url, journey_sandbox.url, consumer)
        finally:
            consumer.stop()
    reactions.flushdb()
    reactions.close()
