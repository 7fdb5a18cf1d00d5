"""After real payments and card setups no table or log line holds card data.

Card data: a card number, a cryptogram (or entered PaymentMethod id), or a token.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid

import pytest
from django.apps import apps
from django.db import connection

from billing.money import Money
from gateway_sandbox.app import Sandbox
from kit.redaction import passes_luhn
from payments.models import CardSetup, PaymentMethod
from payments.services import (
    charge_saved_card,
    complete_3ds,
    complete_card_setup_3ds,
    refund_payment,
    start_card_setup,
)
from tests.journeys.cards import entered_card, pass_3ds
from tests.payments.factories import PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CARD_NUMBERS = {
    "cloudpayments": ["4242424242424242", "4111111111111111", "4000056655665556"],
    "stripe": ["4000000000003220", "4242424242424242", "4000000000009995"],
}
_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
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


def _every_stored_text() -> list[str]:
    texts: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own tables
            texts.extend(str(value) for row in cursor.fetchall() for value in row)
    return texts


def _card_numbers_in(text: str) -> list[str]:
    without_ids = _UUID.sub("<uuid>", text)
    return [run for run in _DIGIT_RUN.findall(without_ids) if passes_luhn(run)]


@pytest.mark.parametrize("gateway", ["cloudpayments", "stripe"])
def test_no_card_data_in_tables_or_logs(
    gateway: str,
    gateway_sandbox: Sandbox,
    journey_sandbox: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = journey_sandbox.url  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)

    secrets = _pay_every_way(url, gateway) + _set_up_every_way(url, gateway)
    secrets.extend(method.token for method in PaymentMethod.objects.all())

    stored = "\n".join(_every_stored_text())
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert len(secrets) >= 8
    assert CardSetup.objects.filter(status="SUCCEEDED").count() >= 2
    for haystack in (stored, logged):
        assert _card_numbers_in(haystack) == []
        assert "sbx1:" not in haystack
        assert [secret for secret in secrets if secret in haystack] == []
