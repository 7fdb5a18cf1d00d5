"""Money settles only when it matches: gateway news about another amount, currency,
transaction or payer buys no subscription.

A plan is bought on the hosted checkout page, and the gateway (the sandbox) holds
the payment at 3-D Secure or loses the charge's reply. Then the gateway's news
disagrees with the payment: a notification signed with the gateway's secret, as a
compromised or confused sender would post it (the sandbox has no knob to report
another amount), or a second transaction the gateway holds under our reference,
which the janitor finds. The real adapters read everything; the webhook's
processing asks the sandbox for its own record as it always does. Each time the
invoice stays OPEN, the subscription INCOMPLETE and the payment as it was, and the
mismatch is recorded for reconciliation.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceStatus, Payer
from billing.money import Money
from billing.services import ensure_payer, set_stripe_customer
from payments import selectors
from payments.gateways import get_gateway
from payments.gateways.base import ChargeRequest, EnteredCard, PayerAccount
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentStatus,
)
from payments.services import settle_unknown_payments
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import subscribe
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.journeys.cards import CARDS, entered_card, set_faults
from tests.journeys.checkout_pages import Payer as Browser
from tests.journeys.subscribing import GATEWAYS, START, captures_of, make_plan
from tests.payments import staff
from tests.payments.mismatches import mismatch_recorded
from tests.payments.webhook_messages import (
    FORM,
    cloudpayments_body,
    cloudpayments_headers,
    stripe_body,
    stripe_headers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

PRICE_MINOR = 99_900
CURRENCY = {"cloudpayments": "RUB", "stripe": "USD"}

Committing = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Committing:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _checkout_held_at_3ds(
    sandbox_url: str, gateway: str, committing: Committing
) -> tuple[CheckoutSession, Payment]:
    """A plan bought on the hosted page, the payment waiting for 3-D Secure."""
    plan = make_plan(gateway)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.support())}")
    created = api.post(
        "/api/v1/checkout-sessions/",
        {
            "payer_id": str(uuid.uuid4()),
            "plan": plan.code,
            "success_url": "https://cinema.example/welcome",
            "failure_url": "https://cinema.example/sorry",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    browser = Browser(sandbox_url, gateway, created.json()["url"])
    browser.open_page()
    with committing():
        browser.pay_with(CARDS[gateway]["success_3ds"])
    session = CheckoutSession.objects.get(id=created.json()["id"])
    payment = Payment.objects.get(pays__startswith="invoice:", payer=session.payer)
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert payment.gateway_reference
    return session, payment


def _assert_nothing_bought(payment: Payment, status: str) -> Subscription:
    """The invoice OPEN, its subscription INCOMPLETE, the payment unchanged."""
    invoice = Invoice.objects.get(id=int(payment.pays.removeprefix("invoice:")))
    assert invoice.subscription_id is not None
    subscription = Subscription.objects.get(id=invoice.subscription_id)
    stored = Payment.objects.get(id=payment.id)
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.OPEN, 0)
    assert subscription.status == SubscriptionStatus.INCOMPLETE
    assert (stored.status, stored.captured_minor) == (status, 0)
    assert stored.gateway_reference == payment.gateway_reference
    assert list(selectors.mismatched_payments()) == [stored]
    return subscription


def _post_cloudpayments(
    client: Client, committing: Committing, kind: str, fields: dict[str, str]
) -> None:
    body = cloudpayments_body(fields)
    headers = cloudpayments_headers(
        body, secret=SANDBOX_CONFIG.cloudpayments_api_secret
    )
    with committing():
        response = client.post(
            f"/webhooks/cloudpayments/{kind}/",
            data=body,
            content_type=FORM,
            headers=headers,
        )
    assert response.json() == {"code": 0}


def _pay_notification(payment: Payment, **changes: str) -> dict[str, str]:
    """A Pay as CloudPayments sends it for the payment, but for `changes`."""
    amount = str(payment.amount.to_decimal())
    return {
        "TransactionId": payment.gateway_reference or "",
        "Amount": amount,
        "Currency": payment.currency,
        "PaymentAmount": amount,
        "PaymentCurrency": payment.currency,
        "DateTime": "2026-01-31 09:00:00",
        "CardFirstSix": "424242",
        "CardLastFour": "4242",
        "CardType": "Visa",
        "CardExpDate": "12/30",
        "TestMode": "1",
        "Status": "Completed",
        "OperationType": "Payment",
        "GatewayName": "Test",
        "InvoiceId": f"payment:{payment.id}",
        "AccountId": str(payment.payer_id),
        **changes,
    }


class TestCloudPaymentsPay:
    def test_an_underpaid_widget_payment_buys_nothing(
        self, sandbox_url: str, client: Client, committing: Committing
    ) -> None:
        """The gateway reports 1.00 taken for the page's payment of 999.00."""
        session, payment = _checkout_held_at_3ds(
            sandbox_url, "cloudpayments", committing
        )

        _post_cloudpayments(
            client, committing, "pay", _pay_notification(payment, Amount="1.00")
        )

        _assert_nothing_bought(payment, PaymentStatus.REQUIRES_ACTION)
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN
        assert mismatch_recorded(payment) == (
            "succeeded 1.00 RUB for a payment of 999.00 RUB"
        )

    def test_another_transactions_pay_under_our_invoice_buys_nothing(
        self, sandbox_url: str, client: Client, committing: Committing
    ) -> None:
        _, payment = _checkout_held_at_3ds(sandbox_url, "cloudpayments", committing)
        other = str(int(payment.gateway_reference or "0") + 1000)

        _post_cloudpayments(
            client, committing, "pay", _pay_notification(payment, TransactionId=other)
        )

        _assert_nothing_bought(payment, PaymentStatus.REQUIRES_ACTION)
        assert mismatch_recorded(payment) == (
            f"gateway transaction {other} is not the payment's "
            f"{payment.gateway_reference}"
        )

    def test_a_pay_for_another_account_buys_nothing(
        self, sandbox_url: str, client: Client, committing: Committing
    ) -> None:
        _, payment = _checkout_held_at_3ds(sandbox_url, "cloudpayments", committing)
        stranger = str(uuid.uuid4())

        _post_cloudpayments(
            client, committing, "pay", _pay_notification(payment, AccountId=stranger)
        )

        _assert_nothing_bought(payment, PaymentStatus.REQUIRES_ACTION)
        assert mismatch_recorded(payment).startswith(f"account {stranger!r}")


class TestStripePaymentIntent:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"amount_received": 100}, "succeeded 1.00 USD for a payment of 999.00"),
            ({"currency": "eur"}, "in another currency"),
        ],
    )
    def test_a_succeeded_intent_for_other_money_buys_nothing(
        self,
        sandbox_url: str,
        client: Client,
        committing: Committing,
        changes: dict[str, Any],
        reason: str,
    ) -> None:
        _, payment = _checkout_held_at_3ds(sandbox_url, "stripe", committing)
        customer = Payer.objects.get(id=payment.payer_id).stripe_customer_id
        intent = {
            "id": payment.gateway_reference,
            "object": "payment_intent",
            "amount": PRICE_MINOR,
            "amount_received": PRICE_MINOR,
            "currency": "usd",
            "customer": customer,
            "status": "succeeded",
            "last_payment_error": None,
            "metadata": {"reference": f"payment:{payment.id}"},
            **changes,
        }
        event = {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "created": int(time.time()),
            "data": {"object": intent},
            "livemode": False,
            "type": "payment_intent.succeeded",
        }
        body = stripe_body(event)
        headers = stripe_headers(body, secret=SANDBOX_CONFIG.stripe_webhook_secret)

        with committing():
            response = client.post(
                "/webhooks/stripe/",
                data=body,
                content_type="application/json",
                headers=headers,
            )

        assert response.status_code == 200
        _assert_nothing_bought(payment, PaymentStatus.REQUIRES_ACTION)
        assert reason in mismatch_recorded(payment)


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestJanitorFind:
    def test_a_transaction_for_another_amount_under_our_reference_buys_nothing(
        self, gateway: str, sandbox_url: str, committing: Committing
    ) -> None:
        """The first charge's reply is lost; the gateway's latest transaction under
        the payment's reference, which the janitor finds, took 1.00."""
        account = _known_payer(gateway)
        card = entered_card(sandbox_url, gateway, CARDS[gateway]["success"])
        set_faults(sandbox_url, drop_reply_rate=1)
        try:
            with committing():
                subscribe(
                    payer_id=account.payer_id,
                    plan_code=make_plan(gateway).code,
                    card_payload=card,
                    now=START,
                    actor="user:journey",
                )
        finally:
            set_faults(sandbox_url, drop_reply_rate=0)
        payment = Payment.objects.get(payer_id=account.payer_id)
        assert payment.status == PaymentStatus.UNKNOWN
        less = Money(100, CURRENCY[gateway])
        get_gateway(gateway).charge(
            ChargeRequest(
                reference=f"payment:{payment.id}",
                idempotency_key=f"another:{payment.id}",
                amount=less,
                payer=account,
                source=EnteredCard(
                    entered_card(sandbox_url, gateway, CARDS[gateway]["success"])
                ),
                return_url="https://cinema.example/3ds",
            )
        )

        with committing():
            settled = settle_unknown_payments(now=START + dt.timedelta(minutes=5))

        assert settled == 0
        _assert_nothing_bought(payment, PaymentStatus.UNKNOWN)
        assert mismatch_recorded(payment) == (
            f"succeeded {less} for a payment of {Money(PRICE_MINOR, less.currency)}"
        )
        takes = captures_of(sandbox_url, gateway, account.payer_id)
        assert sorted(capture["amount_minor"] for capture in takes) == [
            less.amount_minor,
            PRICE_MINOR,
        ]


def _known_payer(gateway: str) -> PayerAccount:
    """A payer the gateway knows already (a Stripe Customer), so that the one
    call whose reply is lost is the charge."""
    payer = ensure_payer(payer_id=uuid.uuid4())
    if gateway != "stripe":
        return PayerAccount(payer_id=payer.id)
    account = get_gateway(gateway).ensure_customer(PayerAccount(payer_id=payer.id))
    assert account.customer_reference
    set_stripe_customer(payer=payer, customer_reference=account.customer_reference)
    return account
