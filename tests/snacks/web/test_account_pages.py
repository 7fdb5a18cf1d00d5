"""Joining, signing in and out, and resigning, through the shop's pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import ShopRole, User
from tests.accounts.factories import PASSWORD, UserFactory
from tests.snacks.web.pages import field_errors, page_text, signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

STRONG = "snack-lover-2026"


def _join(browser: Client, **fields: str) -> Response:
    form = {"name": "Nina Newcomer", "email": "nina@example.com", "password": STRONG}
    return browser.post("/shop/sign-up/", {**form, **fields})


class TestSignUp:
    def test_joins_signs_in_and_lands_on_the_shelf(self, client: Client) -> None:
        response = _join(client)

        assert response.status_code == 302
        assert response["Location"] == "/shop/"
        member = User.objects.get(email="nina@example.com")
        assert member.role == ShopRole.MEMBER
        assert "Welcome, Nina Newcomer" in page_text(client.get("/shop/").content)

    def test_a_weak_password_is_refused_next_to_its_field_keeping_the_rest(
        self, client: Client
    ) -> None:
        response = _join(client, password="12345678")

        assert response.status_code == 200
        assert (
            "This password is entirely numeric."
            in field_errors(response.content)["password"]
        )
        assert b'value="nina@example.com"' in response.content
        assert b'value="Nina Newcomer"' in response.content
        assert b'aria-invalid="true"' in response.content
        assert not User.objects.filter(email="nina@example.com").exists()

    def test_every_mistake_is_shown_at_once(self, client: Client) -> None:
        response = _join(client, email="not-an-email", password="12345678")

        errors = field_errors(response.content)
        assert errors["email"] == ["Enter a valid email address."]
        assert "This password is entirely numeric." in errors["password"]

    def test_a_taken_email_is_refused_whatever_its_case(self, client: Client) -> None:
        UserFactory.create(email="nina@example.com")

        response = _join(client, email="NINA@example.com")

        assert field_errors(response.content)["email"] == [
            "An account with this e-mail already exists."
        ]

    def test_a_resigned_members_email_cannot_join_again(self, client: Client) -> None:
        UserFactory.create(email="nina@example.com", resigned=True)

        response = _join(client)

        assert "cannot join again" in field_errors(response.content)["email"][0]

    def test_missing_fields_are_named(self, client: Client) -> None:
        response = client.post("/shop/sign-up/", {})

        assert set(field_errors(response.content)) == {"name", "email", "password"}


class TestSignIn:
    def test_signs_in_and_goes_where_it_was_going(self, client: Client) -> None:
        member = UserFactory.create()

        response = client.post(
            "/shop/sign-in/",
            {"username": member.email, "password": PASSWORD, "next": "/shop/account/"},
        )

        assert response["Location"] == "/shop/account/"
        assert member.email in page_text(client.get("/shop/account/").content)

    def test_signs_in_to_the_shelf(self, client: Client) -> None:
        member = UserFactory.create()

        response = client.post(
            "/shop/sign-in/", {"username": member.email, "password": PASSWORD}
        )

        assert response["Location"] == "/shop/"

    def test_a_wrong_password_is_refused_keeping_the_email(
        self, client: Client
    ) -> None:
        member = UserFactory.create()

        response = client.post(
            "/shop/sign-in/", {"username": member.email, "password": "not-it"}
        )

        assert response.status_code == 200
        assert "The e-mail or the password is wrong." in page_text(response.content)
        assert f'value="{member.email}"'.encode() in response.content

    def test_a_resigned_member_is_told_why(self, client: Client) -> None:
        member = UserFactory.create(resigned=True)

        response = client.post(
            "/shop/sign-in/", {"username": member.email, "password": PASSWORD}
        )

        assert "closed when its member resigned" in page_text(response.content)
        assert "_auth_user_id" not in client.session

    def test_pages_send_a_visitor_to_sign_in_and_back(self, client: Client) -> None:
        response = client.get("/shop/account/")

        assert response["Location"] == "/shop/sign-in/?next=/shop/account/"

    def test_signing_out_ends_the_session(self) -> None:
        browser = signed_in(UserFactory.create())

        signed_out = browser.post("/shop/sign-out/", follow=True)

        assert "You are signed out." in page_text(signed_out.content)
        assert browser.get("/shop/")["Location"].startswith("/shop/sign-in/")


class TestResign:
    def test_resigns_with_the_password_and_the_tick(self) -> None:
        member = UserFactory.create()
        browser = signed_in(member)

        response = browser.post(
            "/shop/account/", {"password": PASSWORD, "confirm": "on"}, follow=True
        )

        assert "You resigned. Your account is closed." in page_text(response.content)
        member.refresh_from_db()
        assert member.resigned_at is not None
        assert not member.is_active

    @pytest.mark.parametrize(
        ("form", "field", "error"),
        [
            (
                {"password": "not-it", "confirm": "on"},
                "password",
                "That is not your password.",
            ),
            (
                {"password": PASSWORD},
                "confirm",
                "Tick the box to confirm that you resign.",
            ),
        ],
    )
    def test_without_both_confirmations_nothing_happens(
        self, form: dict[str, str], field: str, error: str
    ) -> None:
        member = UserFactory.create()

        response = signed_in(member).post("/shop/account/", form)

        assert field_errors(response.content)[field] == [error]
        member.refresh_from_db()
        assert member.is_active

    def test_a_wrong_password_and_no_tick_are_both_shown(self) -> None:
        member = UserFactory.create()

        response = signed_in(member).post("/shop/account/", {"password": "not-it"})

        assert field_errors(response.content) == {
            "password": ["That is not your password."],
            "confirm": ["Tick the box to confirm that you resign."],
        }

    def test_the_last_admin_is_told_to_promote_someone_first(self) -> None:
        admin = UserFactory.create(shop_admin=True)

        response = signed_in(admin).post(
            "/shop/account/", {"password": PASSWORD, "confirm": "on"}
        )

        assert "promote another member first" in page_text(response.content)
        admin.refresh_from_db()
        assert admin.is_active


def test_an_unknown_shop_page_is_a_page(client: Client) -> None:
    response = client.get("/shop/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Not found" in page_text(response.content)
