"""After real payments, card setups and the gateways' notifications about them, no
table or log line holds card data or the payer's personal data.

Card data: a card number, a cryptogram (or entered PaymentMethod id), or a token.
Personal data: the payer's name, e-mail address, phone number, postal address and
IP address, which the notifications carry in named and in free-form fields.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.money import Money
from gateway_sandbox.app import Sandbox
from kit.redaction import passes_luhn
from payments.models import CardSetup, GatewayEventRecord, Payment, PaymentMethod
from payments.services import (
    charge_saved_card,
    complete_3ds,
    complete_card_setup_3ds,
    refund_payment,
    start_card_setup,
)
from tests.database_dump import every_stored_text
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.journeys.cards import entered_card, pass_3ds
from tests.payments.factories import PaymentFactory
from tests.payments.webhook_messages import (
    PAYER_PHONE,
    PERSONAL_DATA,
    WebhookPoster,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    cloudpayments_personal_fields,
    stripe_body,
    stripe_headers,
    stripe_intent_event,
    stripe_personal_fields,
    through_django,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CARD_NUMBERS = {
    "cloudpayments": ["4242424242424242", "4111111111111111", "4000056655665556"],
    "stripe": ["4000000000003220", "4242424242424242", "4000000000009995"],
}
# Card numbers issued today have 15 (Amex) to 19 digits, and none follows a decimal
# point. One digit run in ten passes the Luhn check by chance, so the fractions of
# timings in logs, and shorter runs, would fail the scan now and then; no 13- or
# 14-digit card is used here.
_DIGIT_RUN = re.compile(r"(?<![\d.])\d{15,19}(?!\d)")
# UUIDs (dashed, or 32 hex digits as SQLite stores them) can hold long digit runs
# that happen to pass the Luhn check; they are identifiers, not cards.
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


def _pay_every_way(url: str, gateway: str) -> list[str]:
    """Pay every way (3-D Secure, saved card, decline, refund); return the secrets."""
    three_ds, plain, declined = CARD_NUMBERS[gateway]
    secrets: list[str] = []
    for number in (three_ds, plain, declined):
        payload = entered_card(url, gateway, number)
        secrets.append(payload)
        payment = PaymentFactory.create(
            gateway=gateway,
            amount=Money(5_000, "RUB" if gateway == "cloudpayments" else "USD"),
            card_payload=payload,
            now=NOW,
            actor="system:journey",
            return_url="https://shop.example/3ds",
        )
        if payment.status == "REQUIRES_ACTION" and payment.gateway_reference:
            result = pass_3ds(url, gateway, payment.gateway_reference, succeed=True)
            payment = complete_3ds(
                payment_id=payment.id,
                authentication_result=result,
                now=NOW,
                actor="system:journey",
            )
        if payment.status == "SUCCEEDED":
            charge_saved_card(
                payer_id=payment.payer_id,
                amount=payment.amount,
                now=NOW,
                actor="system:j",
            )
            refund_payment(
                payment_id=payment.id, reason="OTHER", requested_by="system:j", now=NOW
            )
    return secrets


def _set_up_every_way(url: str, gateway: str) -> list[str]:
    """Verify cards (3-D Secure, plain, declined) without paying; return the secrets."""
    secrets: list[str] = []
    for number in CARD_NUMBERS[gateway]:
        payload = entered_card(url, gateway, number)
        secrets.append(payload)
        setup = start_card_setup(
            payer_id=uuid.uuid4(),
            gateway=gateway,
            card_payload=payload,
            verification_amount=Money(
                100, "RUB" if gateway == "cloudpayments" else "USD"
            ),
            now=NOW,
            actor="system:journey",
            return_url="https://shop.example/3ds",
        )
        if setup.status == "REQUIRES_ACTION" and setup.gateway_reference:
            result = pass_3ds(url, gateway, setup.gateway_reference, succeed=True)
            complete_card_setup_3ds(
                setup_id=setup.id,
                authentication_result=result,
                now=NOW,
                actor="system:journey",
            )
    return secrets


def _notify_about_every_payment(poster: WebhookPoster, gateway: str) -> int:
    """Deliver, signed, the gateway's notification of each payment, carrying the
    payer's person in every field the gateway may put it in; how many were."""
    payments = Payment.objects.filter(gateway=gateway).exclude(gateway_reference=None)
    for payment in payments:
        if gateway == "cloudpayments":
            fields = {
                **cloudpayments_fields(
                    payment, "pay", transaction_id=str(payment.gateway_reference)
                ),
                **cloudpayments_personal_fields(),
            }
            body = cloudpayments_body(fields)
            secret = SANDBOX_CONFIG.cloudpayments_api_secret
            poster.cloudpayments(
                "pay", fields, headers=cloudpayments_headers(body, secret=secret)
            )
        else:
            event = stripe_intent_event(
                payment,
                "payment_intent.succeeded",
                status="succeeded",
                intent_id=str(payment.gateway_reference),
                **stripe_personal_fields(),
            )
            body = stripe_body(event)
            secret = SANDBOX_CONFIG.stripe_webhook_secret
            poster.stripe(event, headers=stripe_headers(body, secret=secret))
    return payments.count()


# Any e-mail address, and the payer's phone number however it is written.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"[\s()+.-]*".join(re.sub(r"\D", "", PAYER_PHONE)))


def _personal_data_in(text: str) -> list[str]:
    return (
        [value for value in PERSONAL_DATA if value in text]
        + _EMAIL.findall(text)
        + _PHONE.findall(text)
    )


def _card_numbers_in(text: str) -> list[str]:
    without_ids = _UUID.sub("<uuid>", text)
    return [run for run in _DIGIT_RUN.findall(without_ids) if passes_luhn(run)]


@pytest.mark.parametrize("gateway", ["cloudpayments", "stripe"])
def test_no_card_data_in_tables_or_logs(
    gateway: str,
    gateway_sandbox: Sandbox,
    journey_sandbox: object,
    caplog: pytest.LogCaptureFixture,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = journey_sandbox.url  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)
    poster = WebhookPoster(through_django(client), django_capture_on_commit_callbacks)

    secrets = _pay_every_way(url, gateway) + _set_up_every_way(url, gateway)
    secrets.extend(method.token or "" for method in PaymentMethod.objects.all())
    notified = _notify_about_every_payment(poster, gateway)

    stored = "\n".join(every_stored_text())
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert len(secrets) >= 8
    assert CardSetup.objects.filter(status="SUCCEEDED").count() >= 2
    assert GatewayEventRecord.objects.count() == notified >= 3
    for haystack in (stored, logged):
        assert _card_numbers_in(haystack) == []
        assert "sbx1:" not in haystack
        assert [secret for secret in secrets if secret in haystack] == []
    # The auth service's users (accounts) sign in with their e-mail address.
    stored_billing = "\n".join(every_stored_text(apps_left_out=("accounts",)))
    assert _personal_data_in(stored_billing) == []
    assert _personal_data_in(logged) == []
