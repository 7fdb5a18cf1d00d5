"""Hosted checkout end to end: the API, the page, the card, 3-D Secure, the shop.

The real adapters and official SDKs talk to the gateway sandbox over HTTP; the
payer's browser is the Django test client (with CSRF checks on) for this service's
pages and `requests` for the sandbox's pages, each doing what the page asks.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests.journeys.cards import CARDS, DECLINE_CODES, ledger, pass_3ds
from tests.journeys.checkout_pages import Payer, open_checkout, redirect_query

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

GATEWAYS = ["cloudpayments", "stripe"]
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}
AMOUNT_MINOR = 129_900
SUCCESS_URL = "https://cinema.example/paid"
FAILURE_URL = "https://cinema.example/not-paid"
SCRIPTS = {
    "cloudpayments": "{sandbox}/__sandbox/cloudpayments/checkout.js",
    "stripe": "{sandbox}/__sandbox/stripe/v3.js",
}
API_NAMES = {"cloudpayments": "cp.Checkout", "stripe": "global.Stripe = Stripe"}


@pytest.fixture
def sandbox_url(journey_sandbox: SandboxThread, gateway_sandbox: Sandbox) -> str:
    return journey_sandbox.url


def _open_session(gateway: str) -> dict[str, Any]:
    """What the shop's back end does: ask billing for a checkout page."""
    return open_checkout(
        amount_minor=AMOUNT_MINOR,
        currency=CURRENCIES[gateway],
        gateway=gateway,
        description="Cinema, monthly plan",
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
    )


def _payment_of(session_id: str) -> Payment:
    return Payment.objects.get(pays=f"checkout:{session_id}")


def _captured(sandbox_url: str, payment: Payment) -> list[int]:
    reference = f"payment:{payment.id}"
    entries = ledger(sandbox_url, reference=reference)["entries"]
    if not entries:
        entries = ledger(sandbox_url, invoice_id=reference)["entries"]
    assert isinstance(entries, list)
    return [e["amount_minor"] for e in entries if e["kind"] == "capture"]


def _assert_paid(sandbox_url: str, session_id: str, number: str) -> None:
    session = CheckoutSession.objects.get(id=session_id)
    payment = _payment_of(session_id)
    assert session.status == CheckoutSessionStatus.COMPLETED
    assert session.payment_id == payment.id
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.captured_minor == AMOUNT_MINOR
    assert payment.cryptogram is None
    method = PaymentMethod.objects.get(payer_id=session.payer_id)
    assert method.last4 == number[-4:]
    # Stripe does not tell merchants a card's first six digits.
    assert method.first6 == ("" if payment.gateway == "stripe" else number[:6])
    assert method.brand.lower() == "visa"
    assert method.is_default
    assert _captured(sandbox_url, payment) == [AMOUNT_MINOR]


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestCheckoutJourney:
    def test_the_page_loads_the_sandboxs_stand_in_for_the_gateways_script(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])

        page = payer.open_page()

        script = SCRIPTS[gateway].format(sandbox=sandbox_url)
        assert f'<script src="{script}"></script>' in page
        served = requests.get(script, timeout=5)
        assert served.status_code == 200
        assert served.headers["Content-Type"].startswith("text/javascript")
        assert API_NAMES[gateway] in served.text

    def test_a_card_without_3ds_pays_and_returns_to_the_shop(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()
        number = CARDS[gateway]["success"]

        response = payer.pay_with(number)

        query = redirect_query(response, SUCCESS_URL)
        assert query == {"checkout": session["id"], "status": "succeeded"}
        _assert_paid(sandbox_url, session["id"], number)

    def test_a_3ds_card_passes_the_challenge_and_returns_to_the_shop(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()
        number = CARDS[gateway]["success_3ds"]
        challenge = payer.pay_with(number)
        assert _payment_of(session["id"]).status == PaymentStatus.REQUIRES_ACTION

        response = payer.pass_challenge(challenge)

        query = redirect_query(response, SUCCESS_URL)
        assert query["status"] == "succeeded"
        _assert_paid(sandbox_url, session["id"], number)

    def test_a_failed_challenge_returns_to_the_failure_url(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()
        payer.pay_with(CARDS[gateway]["success_3ds"])
        payment = _payment_of(session["id"])
        assert payment.gateway_reference
        pa_res = pass_3ds(
            sandbox_url, gateway, payment.gateway_reference, succeed=False
        )
        three_ds = f"{payer.checkout_path}3ds"

        response = (
            payer.browser.post(
                three_ds, {"MD": payment.gateway_reference, "PaRes": pa_res}
            )
            if gateway == "cloudpayments"
            else payer.browser.get(
                three_ds, {"payment_intent": payment.gateway_reference}
            )
        )

        assert redirect_query(response, FAILURE_URL)["status"] == "failed"
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.FAILED
        assert _captured(sandbox_url, payment) == []

    def test_a_declined_card_shows_the_reason_and_another_card_pays(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()

        refused = payer.pay_with(CARDS[gateway]["insufficient_funds"])
        paid = payer.pay_with(CARDS[gateway]["success"])

        assert refused.status_code == 402
        assert f"declined ({DECLINE_CODES[gateway]})" in refused.content.decode()
        assert redirect_query(paid, SUCCESS_URL)["status"] == "succeeded"
        declined, succeeded = Payment.objects.filter(
            pays=f"checkout:{session['id']}"
        ).order_by("created_at")
        assert declined.status == PaymentStatus.FAILED
        assert _captured(sandbox_url, declined) == []
        assert succeeded.status == PaymentStatus.SUCCEEDED
        assert _captured(sandbox_url, succeeded) == [AMOUNT_MINOR]
        assert CheckoutSession.objects.get(id=session["id"]).payment_id == (
            succeeded.id
        )

    def test_the_page_cannot_be_paid_twice(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()
        payer.pay_with(CARDS[gateway]["success"])

        again = payer.pay_with(CARDS[gateway]["success"])

        assert again.status_code == 410
        assert Payment.objects.filter(pays=f"checkout:{session['id']}").count() == 1
        assert _captured(sandbox_url, _payment_of(session["id"])) == [AMOUNT_MINOR]
