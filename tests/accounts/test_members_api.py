"""The shop's members API over HTTP: sign up, me, resign, list, promote."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ShopRole, User
from tests.accounts.factories import PASSWORD, UserFactory
from tests.api_documentation import documented_operations

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/shop/members/"
ME = "/api/v1/shop/members/me/"
RESIGN = "/api/v1/shop/members/me/resign/"
OBTAIN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
STRONG = "plum-tart-on-a-Tuesday"
ERROR_KEYS = {"code", "message", "extra"}


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def _tokens(email: str, password: str = PASSWORD) -> Any:
    return APIClient().post(OBTAIN, {"email": email, "password": password})


def _client(user: User) -> APIClient:
    client = APIClient()
    access = _tokens(user.email).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _assert_error(response: Any, status: int, code: str) -> None:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == ERROR_KEYS
    assert body["code"] == code


class TestSignUpApi:
    def test_signs_up_a_member_who_then_signs_in(self) -> None:
        response = APIClient().post(
            MEMBERS, {"email": "New@Example.com", "password": STRONG, "name": "New"}
        )

        assert response.status_code == 201, response.json()
        assert response.json()["email"] == "new@example.com"
        assert response.json()["role"] == "member"
        assert _tokens("new@example.com", STRONG).status_code == 200

    def test_refuses_a_weak_password_with_field_errors(self) -> None:
        response = APIClient().post(
            MEMBERS, {"email": "weak@example.com", "password": "1234"}
        )

        _assert_error(response, 400, "validation_error")
        assert response.json()["extra"]["fields"]["password"]

    def test_refuses_a_malformed_email(self) -> None:
        response = APIClient().post(MEMBERS, {"email": "nope", "password": STRONG})

        _assert_error(response, 400, "validation_error")
        assert "email" in response.json()["extra"]["fields"]

    def test_refuses_an_email_taken_in_another_case(self) -> None:
        UserFactory.create(email="taken@example.com")

        response = APIClient().post(
            MEMBERS, {"email": "Taken@example.com", "password": STRONG}
        )

        _assert_error(response, 409, "email_taken")

    def test_is_throttled_like_the_sign_in(self, settings: Any) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "login": "2/minute",
            },
        }
        client = APIClient()
        for _ in range(2):
            client.post(MEMBERS, {"email": "x@example.com", "password": "1"})

        response = client.post(MEMBERS, {"email": "x@example.com", "password": "1"})

        _assert_error(response, 429, "throttled")


class TestMeApi:
    def test_answers_the_signed_in_member(self) -> None:
        member = UserFactory.create(name="Max")

        response = _client(member).get(ME)

        assert response.status_code == 200
        assert response.json()["id"] == str(member.id)
        assert response.json()["role"] == "member"

    def test_refuses_without_a_token(self) -> None:
        _assert_error(APIClient().get(ME), 401, "not_authenticated")

    def test_refuses_a_forged_token(self) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

        _assert_error(client.get(ME), 401, "token_not_valid")


class TestResignApi:
    def test_resigned_member_cannot_sign_in_refresh_or_use_the_token(self) -> None:
        member = UserFactory.create()
        pair = _tokens(member.email).json()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

        response = client.post(RESIGN, {"password": PASSWORD})

        assert response.status_code == 204
        _assert_error(_tokens(member.email), 401, "no_active_account")
        refreshed = APIClient().post(REFRESH, {"refresh": pair["refresh"]})
        _assert_error(refreshed, 401, "no_active_account")
        _assert_error(client.get(ME), 401, "authentication_failed")

    def test_refuses_a_wrong_password(self) -> None:
        member = UserFactory.create()

        response = _client(member).post(RESIGN, {"password": "guess"})

        _assert_error(response, 403, "wrong_password")

    def test_refuses_the_last_admin(self) -> None:
        admin = UserFactory.create(shop_admin=True)

        response = _client(admin).post(RESIGN, {"password": PASSWORD})

        _assert_error(response, 409, "last_admin")

    def test_a_resigned_email_cannot_sign_up_again(self) -> None:
        member = UserFactory.create(email="once@example.com")
        _client(member).post(RESIGN, {"password": PASSWORD})

        response = APIClient().post(
            MEMBERS, {"email": "ONCE@example.com", "password": STRONG}
        )

        _assert_error(response, 409, "email_resigned")


class TestListApi:
    def test_admins_page_through_members_filtered_by_role(self) -> None:
        admin = UserFactory.create(shop_admin=True)
        UserFactory.create_batch(3)

        first = _client(admin).get(MEMBERS, {"limit": 2})
        admins = _client(admin).get(MEMBERS, {"role": "admin"})

        assert first.status_code == 200
        assert first.json()["count"] == 4
        assert len(first.json()["results"]) == 2
        assert first.json()["next"]
        assert [m["id"] for m in admins.json()["results"]] == [str(admin.id)]

    def test_searches_by_email_or_name(self) -> None:
        admin = UserFactory.create(shop_admin=True)
        nora = UserFactory.create(name="Nora Baker")

        found = _client(admin).get(MEMBERS, {"search": "baker"}).json()["results"]

        assert [m["id"] for m in found] == [str(nora.id)]

    def test_refuses_a_bad_role_filter(self) -> None:
        admin = UserFactory.create(shop_admin=True)

        response = _client(admin).get(MEMBERS, {"role": "king"})

        _assert_error(response, 400, "validation_error")

    def test_refuses_members_and_billing_staff(self) -> None:
        member = UserFactory.create()
        staff = UserFactory.create(superuser=True)

        _assert_error(_client(member).get(MEMBERS), 403, "permission_denied")
        _assert_error(_client(staff).get(MEMBERS), 403, "permission_denied")


class TestPromoteApi:
    def test_an_admin_promotes_a_member_twice_without_harm(self) -> None:
        admin, member = UserFactory.create(shop_admin=True), UserFactory.create()
        url = f"{MEMBERS}{member.id}/promote/"

        first = _client(admin).post(url)
        second = _client(admin).post(url)

        assert first.status_code == second.status_code == 200
        assert second.json()["role"] == "admin"
        member.refresh_from_db()
        assert member.role == ShopRole.ADMIN

    def test_refuses_a_member(self) -> None:
        member, other = UserFactory.create_batch(2)

        response = _client(member).post(f"{MEMBERS}{other.id}/promote/")

        _assert_error(response, 403, "permission_denied")

    @pytest.mark.parametrize(
        ("segment", "status", "code"),
        [("not-a-uuid", 400, "validation_error"), (None, 404, "member_not_found")],
    )
    def test_refuses_a_bad_or_unknown_id(
        self, segment: str | None, status: int, code: str
    ) -> None:
        admin = UserFactory.create(shop_admin=True)
        segment = segment or "0b5c3a52-8f0d-4a57-9a36-2c1f2d1e0c11"

        response = _client(admin).post(f"{MEMBERS}{segment}/promote/")

        _assert_error(response, status, code)


class TestSchema:
    def test_documents_every_shop_operation(self) -> None:
        operations = {
            "shop_members_sign_up",
            "shop_members_list",
            "shop_members_me",
            "shop_members_resign",
            "shop_members_promote",
        }

        assert operations <= documented_operations()
