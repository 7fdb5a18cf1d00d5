"""The API's rate limits: anonymous clients, signed-in users, and sign-ins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from tests.payments import staff
from tests.services import REDIS_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_a_minute(settings: Settings) -> Iterator[None]:
    """Every scope allows two requests a minute; counts start from nothing."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "2/minute",
            "user": "2/minute",
            "login": "2/minute",
        },
    }
    cache.clear()
    yield
    cache.clear()


def _assert_throttled(response: Any, code: str = "throttled") -> None:
    assert response.status_code == 429
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.fixture(params=["local memory", pytest.param("redis", marks=pytest.mark.redis)])
def counting_cache(request: pytest.FixtureRequest, settings: Settings) -> None:
    """The test settings' cache, or Redis as production counts in it (`kit.cache`:
    one script a request)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {"BACKEND": "kit.cache.RedisCache", "LOCATION": REDIS_URL}
        }


@pytest.mark.usefixtures("counting_cache", "two_a_minute")
class TestApiThrottling:
    def test_an_anonymous_client_is_limited_per_address(self) -> None:
        client = APIClient()
        schema = "/api/schema/?format=json"
        answers = [client.get(schema).status_code for _ in range(2)]

        third = client.get(schema)

        assert answers == [200, 200]
        _assert_throttled(third)

    def test_a_signed_in_user_is_limited_per_user(self) -> None:
        busy, other = APIClient(), APIClient()
        busy.force_authenticate(staff.support())
        other.force_authenticate(staff.support())
        answers = [busy.get("/api/v1/plans/").status_code for _ in range(2)]

        third = busy.get("/api/v1/plans/")

        assert answers == [200, 200]
        _assert_throttled(third)
        assert other.get("/api/v1/plans/").status_code == 200


@pytest.mark.redis
@pytest.mark.usefixtures("two_a_minute")
def test_production_counts_a_users_requests_in_one_redis_key(
    settings: Settings,
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "kit.cache.RedisCache", "LOCATION": REDIS_URL}
    }
    user = staff.support()
    client = APIClient()
    client.force_authenticate(user)

    for _ in range(3):
        client.get("/api/v1/plans/")

    counter = f":1:throttle_user_{user.pk}"
    assert redis.Redis.from_url(REDIS_URL).get(counter) == b"3"


@pytest.mark.usefixtures("two_a_minute")
class TestSignInThrottling:
    @pytest.mark.parametrize("path", ["/admin/login/", "/api/auth/login/"])
    def test_sign_in_attempts_are_limited_per_address(self, path: str) -> None:
        """Whatever the account: guessing many names is as limited as one."""
        client = Client()
        for number in range(2):
            client.post(path, {"username": f"guess{number}@x.example", "password": "x"})

        third = client.post(path, {"username": "guess3@x.example", "password": "x"})

        _assert_throttled(third)

    def test_a_browser_gets_the_refusal_as_a_page(self) -> None:
        client = Client(HTTP_ACCEPT="text/html,*/*;q=0.8")
        for number in range(2):
            client.post("/admin/login/", {"username": f"g{number}@x.example"})

        third = client.post("/admin/login/", {"username": "g3@x.example"})

        assert third.status_code == 429
        assert third["Content-Type"].startswith("text/html")
        assert "Too many requests; try again in" in third.content.decode()

    def test_showing_the_form_is_not_an_attempt(self) -> None:
        client = Client()

        answers = [client.get("/admin/login/").status_code for _ in range(3)]

        assert answers == [200, 200, 200]
