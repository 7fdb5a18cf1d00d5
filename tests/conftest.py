"""Suite-wide wiring: services that tests need are used when present, required in CI."""

from __future__ import annotations

import pytest
from django.conf import LazySettings

from tests.services import (
    PROBLEMS,
    REDIS_URL,
    database_is_postgres,
    services_required,
)

# Fixtures more than one test package uses, kept in plain modules: a test module
# imports helpers, never a conftest.
pytest_plugins = [
    "tests.fixtures.directory",
    "tests.fixtures.gateways",
    "tests.fixtures.journey_sandbox",
    "tests.fixtures.sandbox",
    "tests.fixtures.smtp",
    "tests.fixtures.webhooks",
]

_MISSING_SERVICE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default="",
        help="save pictures of the shop's main pages, as the browser tests see "
        "them, in DIR (README's pictures: `make screenshots`)",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) tests whose service does not answer."""
    for item in items:
        needs = {name for name in PROBLEMS if item.get_closest_marker(name)}
        if database_is_postgres() and item.get_closest_marker("django_db"):
            needs.add("postgres")
        problem = next(
            (p for p in (PROBLEMS[name]() for name in sorted(needs)) if p is not None),
            None,
        )
        if problem is None:
            continue
        if services_required():
            item.stash[_MISSING_SERVICE] = problem
        else:
            item.add_marker(pytest.mark.skip(reason=problem))


def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = item.stash.get(_MISSING_SERVICE, None)
    if problem is not None:
        pytest.fail(f"REQUIRE_SERVICES=1, but this test {problem}", pytrace=False)


@pytest.fixture(autouse=True)
def _reactions_in_the_test_redis(settings: LazySettings) -> None:
    """The shop counts reactions in the test Redis, never in the one of REDIS_URL."""
    settings.SNACKS_REDIS_URL = REDIS_URL
