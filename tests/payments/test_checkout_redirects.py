"""A checkout sends the payer back only to hosts that settings allow."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import CheckoutSession, CheckoutSessionStatus
from payments.services import InvalidCheckoutSession, create_checkout_session
from tests.payments import staff
from tests.payments.checkout_sessions import (
    FAILURE_URL,
    PAYER,
    SUCCESS_URL,
    open_session,
    submit_card,
)

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/checkout-sessions/"
# What an attacker would put where the shop's page belongs.
OFF_LIST_URLS = [
    "https://evil.test/phish",
    "javascript:alert(document.cookie)",
    "//evil.test/phish",
    "https://shop.example@evil.test/phish",
    "https://evil.test\\@shop.example/",
]


def _input(**changes: object) -> dict[str, object]:
    return {
        "payer_id": str(PAYER),
        "amount_minor": 49_900,
        "currency": "RUB",
        "gateway": "cloudpayments",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        **changes,
    }


class TestOpeningASessionInTheApi:
    @pytest.mark.parametrize("field", ["success_url", "failure_url"])
    @pytest.mark.parametrize("url", OFF_LIST_URLS)
    def test_a_url_off_the_allow_list_is_a_400_naming_the_field(
        self, field: str, url: str
    ) -> None:
        client = APIClient()
        client.force_authenticate(staff.support())

        response = client.post(SESSIONS, _input(**{field: url}), format="json")

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert list(body["extra"]["fields"]) == [field]
        assert not CheckoutSession.objects.exists()

    def test_the_allow_list_comes_from_settings(self, settings: Settings) -> None:
        settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS = ["cinema.example"]
        client = APIClient()
        client.force_authenticate(staff.support())

        refused = client.post(SESSIONS, _input(), format="json")
        allowed = client.post(
            SESSIONS,
            _input(
                success_url="https://cinema.example/ok",
                failure_url="https://cinema.example/no",
            ),
            format="json",
        )

        assert refused.status_code == 400
        assert set(refused.json()["extra"]["fields"]) == {"success_url", "failure_url"}
        assert allowed.status_code == 201


class TestCreateCheckoutSession:
    @pytest.mark.parametrize("url", OFF_LIST_URLS)
    def test_the_service_refuses_an_off_list_url_naming_the_field(
        self, url: str
    ) -> None:
        """Every way of opening a session (API, plan checkout, scripts) goes
        through the service, so none can skip the check."""
        arguments: dict[str, Any] = {
            "payer_id": PAYER,
            "amount": Money(100, "RUB"),
            "gateway": "fake",
            "success_url": SUCCESS_URL,
            "failure_url": url,
            "created_by": "user:test",
            "now": billing_now(),
        }

        with pytest.raises(InvalidCheckoutSession) as refused:
            create_checkout_session(**arguments)

        assert refused.value.extra == {"fields": {"failure_url": [ANY]}}
        assert not CheckoutSession.objects.exists()


class TestReturningToTheShop:
    def test_a_host_taken_off_the_list_since_is_not_redirected_to(
        self, fake_gateway: FakeGateway, settings: Settings
    ) -> None:
        session = open_session()
        settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS = ["cinema.example"]

        response = submit_card(Client(), session)

        assert response.status_code == 400
        assert "Location" not in response
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_stored_url_off_the_list_is_not_redirected_to(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Rows written before the allow-list existed are checked too."""
        session = open_session()
        CheckoutSession.objects.filter(pk=session.pk).update(
            success_url="https://evil.test/phish"
        )

        response = submit_card(Client(), session)

        assert response.status_code == 400
        assert "Location" not in response
