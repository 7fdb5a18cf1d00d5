"""Credentials that no client could hold are refused before the database is asked.

PostgreSQL refuses a NUL byte in a query, so looking up a forged session cookie or
API token that holds one was a 500 on that database (SQLite answers the same
look-up with "no such row").
"""

from __future__ import annotations

import pytest
from django.test import Client

from kit.sessions import SessionStore
from tests.payments import staff

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
FORGED_SESSION = "sessionid=abcdefgh\x00ijklmnop"


class TestForgedApiToken:
    def test_a_token_with_a_nul_byte_is_refused_in_the_error_shape(
        self, client: Client
    ) -> None:
        response = client.get(PAYMENTS, HTTP_AUTHORIZATION="Token 0123abcd\x00ef")

        assert response.status_code == 403
        assert response.json()["code"] == "authentication_failed"

    def test_a_real_token_still_signs_in(self, client: Client) -> None:
        token = staff.token_for(staff.support())

        response = client.get(PAYMENTS, HTTP_AUTHORIZATION=f"Token {token}")

        assert response.status_code == 200


class TestForgedSessionCookie:
    def test_a_session_key_with_a_nul_byte_signs_no_one_in(
        self, client: Client
    ) -> None:
        response = client.get(PAYMENTS, HTTP_COOKIE=FORGED_SESSION)

        assert response.status_code == 403
        assert response.json()["code"] == "not_authenticated"

    def test_the_admin_sends_such_a_cookie_to_its_login_page(
        self, client: Client
    ) -> None:
        response = client.get("/admin/", HTTP_COOKIE=FORGED_SESSION)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_a_real_session_still_signs_in(self, client: Client) -> None:
        client.force_login(staff.support())

        response = client.get(PAYMENTS)

        assert response.status_code == 200

    @pytest.mark.parametrize(
        "key", ["abcdefgh\x00ijkl", "ABCDEFGHIJKLMNOP", "abcdefghijklmnop;x", "short"]
    )
    def test_keys_django_could_not_have_made_are_none(self, key: str) -> None:
        assert SessionStore(key).session_key is None

    def test_keys_django_makes_are_kept(self) -> None:
        store = SessionStore()
        store.create()

        assert SessionStore(store.session_key).session_key == store.session_key
