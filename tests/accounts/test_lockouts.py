"""Repeated failed sign-ins lock an account out from one address for a while."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("three_failures")]

RIGHT = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-guessed"
ADMIN_LOGIN = "/admin/login/"
API_LOGIN = "/api/auth/login/"


@pytest.fixture
def staff_user() -> User:
    return UserFactory.create(staff=True, password=RIGHT)


def _sign_in(
    user: User, password: str, *, path: str = ADMIN_LOGIN, address: str = "10.0.0.1"
) -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": user.email, "password": password})
    return client, response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(user: User, times: int, **where: str) -> None:
    for _ in range(times):
        _sign_in(user, WRONG, **where)


class TestLockout:
    @pytest.mark.parametrize("path", [ADMIN_LOGIN, API_LOGIN])
    def test_the_right_password_is_refused_once_locked_out(
        self, staff_user: User, path: str
    ) -> None:
        _fail(staff_user, 3, path=path)

        client, response = _sign_in(staff_user, RIGHT, path=path)

        assert not _signed_in(client)
        assert getattr(response, "status_code", None) == 429
        body = json.loads(getattr(response, "content", b""))
        assert body["code"] == "login_locked_out"
        assert set(body) == {"code", "message", "extra"}
        assert int(response["Retry-After"]) > 0  # type: ignore[index]

    @pytest.mark.parametrize("path", [ADMIN_LOGIN, API_LOGIN])
    def test_a_browser_is_told_why_on_a_page(self, staff_user: User, path: str) -> None:
        """Staff at the sign-in form see the reason, not the API's JSON."""
        _fail(staff_user, 3, path=path)
        client = Client(REMOTE_ADDR="10.0.0.1")

        response = client.post(
            path,
            {"username": staff_user.email, "password": RIGHT},
            HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
        )

        assert response.status_code == 429
        assert response["Content-Type"].startswith("text/html")
        assert "Too many failed sign-ins for this account" in response.content.decode()
        assert int(response["Retry-After"]) > 0
        assert not _signed_in(client)

    def test_fewer_failures_than_the_limit_do_not_lock(self, staff_user: User) -> None:
        _fail(staff_user, 2)

        client, _ = _sign_in(staff_user, RIGHT)

        assert _signed_in(client)

    def test_a_success_starts_the_count_afresh(self, staff_user: User) -> None:
        _fail(staff_user, 2)
        _sign_in(staff_user, RIGHT)
        _fail(staff_user, 2)

        client, _ = _sign_in(staff_user, RIGHT)

        assert _signed_in(client)

    def test_only_that_account_from_that_address_is_locked(
        self, staff_user: User
    ) -> None:
        colleague = UserFactory.create(staff=True, password=RIGHT)
        _fail(staff_user, 3, address="10.0.0.1")

        elsewhere, _ = _sign_in(staff_user, RIGHT, address="10.0.0.2")
        same_office, _ = _sign_in(colleague, RIGHT, address="10.0.0.1")

        assert _signed_in(elsewhere)
        assert _signed_in(same_office)

    def test_every_authentication_with_a_request_is_refused(
        self, staff_user: User
    ) -> None:
        """The backend refuses too, so no other sign-in path gets around it."""
        _fail(staff_user, 3)
        request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")

        user = authenticate(request, username=staff_user.email, password=RIGHT)

        assert user is None

    def test_the_backend_counts_and_refuses_by_the_models_name_field(
        self, staff_user: User
    ) -> None:
        """simplejwt passes `email=`, not `username=`: the lock-out still holds."""
        request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
        for _ in range(3):
            authenticate(request, email=staff_user.email, password=WRONG)

        user = authenticate(request, email=staff_user.email, password=RIGHT)

        assert user is None

    def test_the_lock_ends_after_the_cooloff(
        self, staff_user: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _fail(staff_user, 3)
        later = timezone.now() + dt.timedelta(seconds=601)
        monkeypatch.setattr(timezone, "now", lambda: later)

        client, _ = _sign_in(staff_user, RIGHT)

        assert _signed_in(client)

    def test_attempts_while_locked_do_not_extend_the_lock(
        self, staff_user: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _fail(staff_user, 3)
        start = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=500))
        _fail(staff_user, 3)
        monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=601))

        client, _ = _sign_in(staff_user, RIGHT)

        assert _signed_in(client)


class TestLockoutLog:
    def test_the_lockout_is_logged_without_the_password(
        self, staff_user: User, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="accounts"):
            _fail(staff_user, 3)
            _sign_in(staff_user, RIGHT)

        events = [record.getMessage() for record in caplog.records]
        assert "accounts.login.locked_out" in events
        locked = next(r for r in caplog.records if r.msg == "accounts.login.locked_out")
        assert getattr(locked, "client_ip", None) == "10.0.0.1"
        assert getattr(locked, "failures", None) == 3
        everything = " ".join(str(vars(record)) for record in caplog.records)
        assert WRONG not in everything
        assert RIGHT not in everything
