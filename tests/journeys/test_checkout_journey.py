"""Hosted checkout end to end: the API, the page, the widget, 3-D Secure, the shop.

The real adapters and official SDKs talk to the gateway sandbox over HTTP; the
payer's browser is the Django test client (with CSRF checks on) for this service's
pages and `requests` for the sandbox's pages, each doing what the page asks.
"""

from __future__ import annotations

import html.parser
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from django.test import Client
from rest_framework.test import APIClient

from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from payments.sandbox.app import Sandbox
from payments.sandbox.server import SandboxThread
from tests.journeys.cards import CARDS, DECLINE_CODES, entered_card, ledger, pass_3ds
from tests.payments import staff

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

GATEWAYS = ["cloudpayments", "stripe"]
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}
AMOUNT_MINOR = 129_900
SUCCESS_URL = "https://cinema.example/paid"
FAILURE_URL = "https://cinema.example/not-paid"


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=values.get("action", "")))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def _only_form(page: str) -> Form:
    parser = _FormParser()
    parser.feed(page)
    [form] = parser.forms
    return form


def _path(url: str) -> str:
    """The path and query of an address on this service (the test client's host)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.netloc == "testserver", url
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


class Payer:
    """A person in a browser, on the checkout page the shop sent them to."""

    def __init__(self, sandbox_url: str, gateway: str, checkout_url: str) -> None:
        self.sandbox_url = sandbox_url
        self.gateway = gateway
        self.browser = Client(enforce_csrf_checks=True)
        self.checkout_path = _path(checkout_url)

    def open_page(self) -> str:
        page = self.browser.get(self.checkout_path)
        assert page.status_code == 200
        return page.content.decode()

    def pay_with(self, number: str) -> Any:
        """Enter the card in the widget; the page posts what the widget hands it."""
        payload = entered_card(self.sandbox_url, self.gateway, number)
        return self.browser.post(
            f"{self.checkout_path}pay",
            {
                "card_payload": payload,
                "csrfmiddlewaretoken": self.browser.cookies["csrftoken"].value,
            },
        )

    def pass_challenge(self, response: Any) -> Any:
        """Go through the issuer's page as the browser would, and come back."""
        if self.gateway == "cloudpayments":
            to_acs = _only_form(response.content.decode())
            acs = requests.post(
                to_acs.action,
                params={"result": "success"},
                data=to_acs.fields,
                timeout=5,
            )
            acs.raise_for_status()
            back = _only_form(acs.text)
            return self.browser.post(_path(back.action), back.fields)
        completed = requests.post(
            f"{response['Location']}/complete",
            data={"result": "success"},
            allow_redirects=False,
            timeout=5,
        )
        assert completed.status_code == 303
        return self.browser.get(_path(completed.headers["Location"]))


@pytest.fixture
def sandbox_url(journey_sandbox: SandboxThread, gateway_sandbox: Sandbox) -> str:
    return journey_sandbox.url


def _open_session(gateway: str) -> dict[str, Any]:
    """What the shop's back end does: ask billing for a checkout page."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.support())}")
    response = api.post(
        "/api/v1/checkout-sessions/",
        {
            "payer_id": str(uuid.uuid4()),
            "amount_minor": AMOUNT_MINOR,
            "currency": CURRENCIES[gateway],
            "gateway": gateway,
            "description": "Cinema, monthly plan",
            "success_url": SUCCESS_URL,
            "failure_url": FAILURE_URL,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _redirect_query(response: Any, base: str) -> dict[str, str]:
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(f"{base}?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


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
    def test_the_page_embeds_the_gateways_widget(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])

        page = payer.open_page()

        widget = f"{sandbox_url}/__sandbox/checkout?gateway={gateway}"
        assert f'src="{widget}"' in page
        assert requests.get(widget, timeout=5).status_code == 200

    def test_a_card_without_3ds_pays_and_returns_to_the_shop(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()
        number = CARDS[gateway]["success"]

        response = payer.pay_with(number)

        query = _redirect_query(response, SUCCESS_URL)
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

        query = _redirect_query(response, SUCCESS_URL)
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

        assert _redirect_query(response, FAILURE_URL)["status"] == "failed"
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.FAILED
        assert _captured(sandbox_url, payment) == []

    def test_a_declined_card_returns_to_the_failure_url_with_the_reason(
        self, gateway: str, sandbox_url: str
    ) -> None:
        session = _open_session(gateway)
        payer = Payer(sandbox_url, gateway, session["url"])
        payer.open_page()

        response = payer.pay_with(CARDS[gateway]["insufficient_funds"])

        query = _redirect_query(response, FAILURE_URL)
        assert query == {
            "checkout": session["id"],
            "status": "failed",
            "reason": DECLINE_CODES[gateway],
        }
        payment = _payment_of(session["id"])
        assert payment.status == PaymentStatus.FAILED
        assert _captured(sandbox_url, payment) == []
        assert not PaymentMethod.objects.filter(payer_id=payment.payer_id).exists()

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
