"""Browser tests: the OS package's Chromium, driven by Playwright, on the live
server and the journeys' gateway sandbox.

Nothing downloads a browser: without /usr/bin/chromium (`apt-get install chromium`)
the tests are skipped, and fail under REQUIRE_SERVICES=1 (`tests/services.py`).
A failed test leaves a screenshot under var/browser-failures/ and prints its path.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from gateway_sandbox.app import Sandbox
from tests.services import CHROMIUM, browser_problem

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
