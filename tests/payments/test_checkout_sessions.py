"""Opening checkout sessions: the API, the service's checks, and the page."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionMode,
)
from payments.services import (
    CHECKOUT_SESSION_TTL,
    CheckoutReferenceTaken,
    InvalidCheckoutSession,
    create_checkout_session,
)
from tests.payments import staff
from tests.payments.checkout_sessions import (
    FAILURE_URL,
    PAYER,
    SUCCESS_URL,
    open_card_check,
    open_paying,
    open_session,
    submit_card,
)

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/checkout-sessions/"


@pytest.fixture
def support_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.support())
    return client


def _valid_input(**changes: object) -> dict[str, object]:
    return {
        "payer_id": str(PAYER),
        "amount_minor": 49_900,
        "currency": "RUB",
        "gateway": "cloudpayments",
        "description": "Cinema, one month",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        **changes,
    }


class TestCreateCheckoutSessionApi:
    def test_support_staff_open_a_session_and_get_its_page_url(
        self, support_api: APIClient
    ) -> None:
        response = support_api.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 201
        body = response.json()
        session = CheckoutSession.objects.get(id=body["id"])
        assert body["url"] == f"http://testserver/checkout/{session.id}/"
        assert body["status"] == "OPEN"
        assert session.expires_at - session.created_at == CHECKOUT_SESSION_TTL
        assert dt.datetime.fromisoformat(body["expires_at"]) == session.expires_at
        assert (session.amount_minor, session.currency) == (49_900, "RUB")
        assert session.created_by.startswith("user:")

    def test_a_script_with_an_api_token_may_open_a_session(self) -> None:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.member())}"
        )

        response = client.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 201

    @pytest.mark.parametrize("signed_in", [False, True])
    def test_others_are_refused(self, signed_in: bool) -> None:
        client = APIClient()
        if signed_in:
            client.force_authenticate(staff.member())

        response = client.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 403
        assert set(response.json()) == {"code", "message", "extra"}

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"amount_minor": 0}, "amount_minor"),
            ({"amount_minor": -100}, "amount_minor"),
            ({"amount_minor": 12.5}, "amount_minor"),
            ({"amount_minor": "12.50"}, "amount_minor"),
            ({"amount_minor": True}, "amount_minor"),
            ({"amount_minor": 2**63}, "amount_minor"),
            ({"currency": "XYZ"}, "currency"),
            ({"currency": "rub"}, "currency"),
            ({"payer_id": "somebody"}, "payer_id"),
            ({"gateway": "fake"}, "gateway"),
            ({"gateway": "paypal"}, "gateway"),
            ({"success_url": "javascript:alert(1)"}, "success_url"),
            ({"success_url": "ftp://shop.example/ok"}, "success_url"),
            ({"failure_url": "/relative/path"}, "failure_url"),
            ({"description": "x" * 201}, "description"),
        ],
    )
    def test_refuses_bad_input_with_a_400(
        self, support_api: APIClient, changes: dict[str, object], field: str
    ) -> None:
        response = support_api.post(SESSIONS, _valid_input(**changes), format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert list(response.json()["extra"]["fields"]) == [field]
        assert not CheckoutSession.objects.exists()

    def test_shows_a_session_with_its_payment(
        self, support_api: APIClient, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()
        submit_card(Client(), session)

        response = support_api.get(f"{SESSIONS}{session.id}/")

        body = response.json()
        assert body["status"] == "COMPLETED"
        assert body["payment_status"] == "SUCCEEDED"
        assert body["amount"] == "499.00 RUB"

    def test_an_unused_session_past_its_expiry_reads_expired(
        self, support_api: APIClient
    ) -> None:
        session = open_session(created_at=billing_now() - dt.timedelta(hours=1))

        response = support_api.get(f"{SESSIONS}{session.id}/")

        assert response.json()["status"] == "EXPIRED"

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            (f"{SESSIONS}{uuid.uuid4()}/", 404, "checkout_session_not_found"),
            (f"{SESSIONS}not-an-id/", 400, "validation_error"),
        ],
    )
    def test_unknown_and_malformed_ids(
        self, support_api: APIClient, path: str, status: int, code: str
    ) -> None:
        response = support_api.get(path)

        assert response.status_code == status
        assert response.json()["code"] == code


class TestCreateCheckoutSession:
    @pytest.mark.parametrize(
        "changes",
        [
            {"amount": Money(0, "RUB")},
            {"gateway": "paypal"},
            {"success_url": "javascript:alert(1)"},
            {"expires_in": dt.timedelta(0)},
        ],
    )
    def test_refuses_what_cannot_be_paid(self, changes: dict[str, Any]) -> None:
        arguments: dict[str, Any] = {
            "payer_id": PAYER,
            "amount": Money(100, "RUB"),
            "gateway": "fake",
            "success_url": SUCCESS_URL,
            "failure_url": FAILURE_URL,
            "created_by": "user:test",
            "now": billing_now(),
            **changes,
        }

        with pytest.raises(InvalidCheckoutSession):
            create_checkout_session(**arguments)


class TestCheckoutPage:
    def test_shows_the_amount_description_and_cloudpayments_card_fields(
        self, settings: Settings
    ) -> None:
        """The card fields are CloudPayments' `data-cp` ones, without a name the form
        could send; the page loads the checkout script the settings name."""
        settings.CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL = (
            "https://widget.cloudpayments.ru/bundles/checkout"
        )
        settings.CLOUDPAYMENTS_PUBLIC_ID = "pk_live_shop"
        session = open_session(gateway="cloudpayments")

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "499.00 RUB" in html
        assert "Cinema, one month" in html
        assert (
            '<script src="https://widget.cloudpayments.ru/bundles/checkout"></script>'
            in html
        )
        assert "new cp.Checkout(" in html
        assert "createPaymentCryptogram()" in html
        assert '"publicId": "pk_live_shop"' in html
        for field in ("cardNumber", "expDateMonth", "expDateYear", "cvv", "name"):
            assert re.search(rf'<input data-cp="{field}"(?![^>]*\bname=)[^>]*>', html)
        assert "/__sandbox/" not in html
        assert "csrfmiddlewaretoken" in html
        assert response.cookies["csrftoken"].value
        assert "no-store" in response["Cache-Control"]

    def test_stripe_mounts_stripe_js_card_element(self, settings: Settings) -> None:
        settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
        settings.STRIPE_PUBLISHABLE_KEY = "pk_live_shop"
        session = open_session(gateway="stripe", amount=Money(49_900, "USD"))

        html = Client().get(f"/checkout/{session.id}/").content.decode()

        assert '<script src="https://js.stripe.com/v3/"></script>' in html
        assert "Stripe(config.publishableKey)" in html
        assert 'create("card"' in html
        assert "createPaymentMethod(" in html
        assert '"publishableKey": "pk_live_shop"' in html
        assert '<div id="card-element"></div>' in html

    def test_allows_scripts_and_frames_only_from_the_gateways_origin(
        self, settings: Settings
    ) -> None:
        settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
        settings.STRIPE_API_BASE = "https://api.stripe.com"
        session = open_session(gateway="stripe", amount=Money(49_900, "USD"))

        response = Client().get(f"/checkout/{session.id}/")

        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response["Content-Security-Policy"].split(";")
        )
        nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode())
        assert nonce is not None
        assert policy["script-src"] == (
            f"'self' 'nonce-{nonce.group(1)}' https://js.stripe.com"
        )
        assert policy["frame-src"] == "https://js.stripe.com"
        assert policy["connect-src"] == (
            "'self' https://js.stripe.com https://api.stripe.com"
        )
        assert policy["frame-ancestors"] == "'none'"

    def test_escapes_the_description(self) -> None:
        session = open_session(description="<script>alert('x')</script>")

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert "<script>alert('x')</script>" not in html
        assert "&lt;script&gt;" in html

    @pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-session"])
    def test_an_unknown_session_is_a_404_page(self, session_id: str) -> None:
        response = Client().get(f"/checkout/{session_id}/")

        assert response.status_code == 404
        assert "Checkout not found" in response.content.decode()

    def test_an_expired_session_is_a_410_page(self) -> None:
        session = open_session(created_at=billing_now() - dt.timedelta(minutes=31))

        response = Client().get(f"/checkout/{session.id}/")

        assert response.status_code == 410
        assert "expired" in response.content.decode()

    def test_a_used_session_is_a_410_page(self, fake_gateway: FakeGateway) -> None:
        session = open_session()
        submit_card(Client(), session)

        response = Client().get(f"/checkout/{session.id}/")

        assert response.status_code == 410
        assert "already been used" in response.content.decode()


class TestCheckoutModes:
    @pytest.mark.parametrize(
        "changes",
        [
            {"mode": CheckoutSessionMode.CARD_SETUP, "pays": "order:1"},
            {"mode": CheckoutSessionMode.PAYMENT, "setup_purpose": "subscription:1"},
            {"mode": "REFUND"},
        ],
    )
    def test_a_reference_belongs_to_its_own_mode(self, changes: dict[str, Any]) -> None:
        with pytest.raises(InvalidCheckoutSession):
            create_checkout_session(
                payer_id=PAYER,
                amount=Money(100, "RUB"),
                gateway="fake",
                success_url=SUCCESS_URL,
                failure_url=FAILURE_URL,
                created_by="user:test",
                now=billing_now(),
                **changes,
            )

        assert not CheckoutSession.objects.exists()

    @pytest.mark.parametrize(
        "open_again",
        [
            lambda: open_paying("order:42"),
            lambda: open_card_check(purpose="subscription:42"),
        ],
    )
    def test_what_a_session_is_for_has_one_session(self, open_again: Any) -> None:
        open_again()

        with pytest.raises(CheckoutReferenceTaken):
            open_again()

        assert CheckoutSession.objects.count() == 1

    def test_the_database_keeps_each_mode_to_its_own_attempt(
        self, fake_gateway: FakeGateway
    ) -> None:
        paid = open_session()
        submit_card(Client(), paid)
        check = open_card_check()
        paid.refresh_from_db()

        with pytest.raises(IntegrityError), transaction.atomic():
            CheckoutSession.objects.filter(id=check.id).update(payment=paid.payment)


class TestCardCheckPage:
    def test_says_nothing_is_charged_and_shows_what_for(
        self, settings: Settings
    ) -> None:
        settings.SANDBOX_URL = "http://127.0.0.1:8100"
        session = open_card_check()

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Card check</title>" in html
        assert "Nothing is charged now" in html
        assert "A card check" in html
        assert "the trial ends on 7 December 2026" in html
        assert "1.00 RUB" not in html
        assert '"cardCheck": true' in html
        assert "Check the card" in html
        assert "csrfmiddlewaretoken" in html

    def test_a_payment_page_says_what_it_charges(self) -> None:
        session = open_session()

        html = Client().get(f"/checkout/{session.id}/").content.decode()

        assert "<title>Pay 499.00 RUB</title>" in html
        assert "Nothing is charged" not in html
        assert '"cardCheck": false' in html


class TestPayingSomethingElseInTheApi:
    def test_the_api_shows_the_mode_and_what_is_paid(
        self, support_api: APIClient
    ) -> None:
        session = open_paying("order:42")

        body = support_api.get(f"{SESSIONS}{session.id}/").json()

        assert body["mode"] == "PAYMENT"
        assert body["pays"] == "order:42"
        assert body["setup_purpose"] == ""
        assert body["card_setup_id"] is None
        assert body["card_setup_status"] is None
