"""End users' access and refresh tokens over HTTP."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import jwt
import pytest
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from kit.tokens import InvalidToken, PrincipalKind, verify_access_token
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("three_failures")]

OBTAIN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
RIGHT = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-guessed"
ERROR_KEYS = {"code", "message", "extra"}


@pytest.fixture
def member() -> User:
    return UserFactory.create(password=RIGHT)


def _obtain(email: str, password: str, *, address: str = "10.0.0.1") -> Any:
    return APIClient(REMOTE_ADDR=address).post(
        OBTAIN, {"email": email, "password": password}, format="json"
    )


def _refresh(token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def _assert_error(response: Any, status: int, code: str) -> None:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == ERROR_KEYS
    assert body["code"] == code


class TestObtainToken:
    def test_answers_an_access_token_for_the_users_uuid(self, member: User) -> None:
        response = _obtain(member.email, RIGHT)

        assert response.status_code == 200
        principal = verify_access_token(response.json()["access"])
        assert principal.kind is PrincipalKind.USER
        assert principal.user_id == member.id

    def test_the_access_token_lasts_the_configured_minutes(self, member: User) -> None:
        claims = jwt.decode(
            _obtain(member.email, RIGHT).json()["access"],
            options={"verify_signature": False},
        )

        assert claims["exp"] - claims["iat"] == 15 * 60
        assert claims["sub"] == str(member.id)
        assert claims["token_type"] == "access"

    def test_the_refresh_token_is_no_access_token(self, member: User) -> None:
        """Only the short-lived token opens the API; the long one only refreshes."""
        refresh = _obtain(member.email, RIGHT).json()["refresh"]

        with pytest.raises(InvalidToken, match="'refresh' token grants no access"):
            verify_access_token(refresh)

    def test_refuses_a_wrong_password_in_the_error_shape(self, member: User) -> None:
        response = _obtain(member.email, WRONG)

        _assert_error(response, 401, "no_active_account")
        assert "access" not in response.json()["extra"]

    def test_refuses_a_resigned_user(self) -> None:
        resigned = UserFactory.create(password=RIGHT, is_active=False)

        response = _obtain(resigned.email, RIGHT)

        _assert_error(response, 401, "no_active_account")

    def test_refuses_a_request_without_a_password(self, member: User) -> None:
        response = APIClient().post(OBTAIN, {"email": member.email}, format="json")

        _assert_error(response, 400, "validation_error")
        assert "password" in response.json()["extra"]["fields"]

    def test_refuses_the_right_password_once_locked_out(self, member: User) -> None:
        for _ in range(3):
            _obtain(member.email, WRONG)

        response = _obtain(member.email.upper(), RIGHT)

        _assert_error(response, 429, "login_locked_out")
        assert int(response["Retry-After"]) > 0

    def test_lockout_holds_only_for_that_address(self, member: User) -> None:
        for _ in range(3):
            _obtain(member.email, WRONG)

        response = _obtain(member.email, RIGHT, address="10.0.0.2")

        assert response.status_code == 200

    def test_a_success_starts_the_failure_count_afresh(self, member: User) -> None:
        for _ in range(2):
            _obtain(member.email, WRONG)
        _obtain(member.email, RIGHT)
        for _ in range(2):
            _obtain(member.email, WRONG)

        response = _obtain(member.email, RIGHT)

        assert response.status_code == 200

    def test_is_limited_by_the_login_rate(
        self, member: User, settings: Settings
    ) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "100/minute", "login": "2/minute"},
        }
        answers = [_obtain(member.email, RIGHT).status_code for _ in range(2)]

        response = _obtain(member.email, RIGHT)

        assert answers == [200, 200]
        _assert_error(response, 429, "throttled")


class TestRefreshToken:
    def test_answers_a_fresh_access_token(self, member: User) -> None:
        refresh = _obtain(member.email, RIGHT).json()["refresh"]

        response = _refresh(refresh)

        assert response.status_code == 200
        assert verify_access_token(response.json()["access"]).user_id == member.id

    def test_refuses_an_access_token(self, member: User) -> None:
        access = _obtain(member.email, RIGHT).json()["access"]

        _assert_error(_refresh(access), 401, "token_not_valid")

    def test_refuses_garbage(self) -> None:
        _assert_error(_refresh("not.a.token"), 401, "token_not_valid")

    def test_refuses_an_expired_refresh_token(
        self, member: User, settings: Settings
    ) -> None:
        past = dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=2)
        expired = jwt.encode(
            {
                "sub": str(member.id),
                "token_type": "refresh",
                "jti": uuid.uuid4().hex,
                "iat": int(past.timestamp()),
                "exp": int((past + dt.timedelta(days=1)).timestamp()),
            },
            settings.JWT_SIGNING_KEY,
            algorithm="HS256",
        )

        _assert_error(_refresh(expired), 401, "token_not_valid")

    def test_refuses_a_user_who_resigned_since(self, member: User) -> None:
        refresh = _obtain(member.email, RIGHT).json()["refresh"]
        User.objects.filter(pk=member.pk).update(is_active=False)

        _assert_error(_refresh(refresh), 401, "no_active_account")

    def test_refuses_a_user_deleted_since(self, member: User) -> None:
        refresh = _obtain(member.email, RIGHT).json()["refresh"]
        member.delete()

        _assert_error(_refresh(refresh), 401, "no_active_account")
