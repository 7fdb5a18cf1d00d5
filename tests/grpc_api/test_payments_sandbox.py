"""A shop order over gRPC, through the real adapters and SDKs against the sandbox."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest

from billing.money import Money
from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import Payment, PaymentStatus
from tests.grpc_api.payment_calls import WRITE, authorize, one_off, stub
from tests.grpc_api.tokens import service_metadata
from tests.journeys.cards import CARDS, entered_card, ledger
from tests.payments.factories import PaymentFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}


def _payer_with_a_saved_card(url: str, gateway: str) -> uuid.UUID:
    """A payer whose first payment, with a card just entered, saved it."""
    first = PaymentFactory.create(
        gateway=gateway,
        amount=Money(10_000, CURRENCIES[gateway]),
        card_payload=entered_card(url, gateway, CARDS[gateway]["success"]),
        now=NOW,
    )
    assert first.status == PaymentStatus.SUCCEEDED
    return first.payer_id


def _sandbox_kinds(url: str, payment_id: str) -> list[str]:
    """What the sandbox's ledger holds for our payment: its entries' kinds."""
    entries = ledger(url, reference=f"payment:{payment_id}")["entries"]
    if not entries:
        entries = ledger(url, invoice_id=f"payment:{payment_id}")["entries"]
    return [str(entry["kind"]) for entry in entries if isinstance(entry, dict)]


@pytest.fixture(params=["cloudpayments", "stripe"])
def held(
    request: pytest.FixtureRequest,
    journey_sandbox: SandboxThread,
    gateway_sandbox: Sandbox,
    channel: grpc.Channel,
) -> billing_pb2.Payment:
    """An order of 4,500 minor units held on a card saved by a first payment."""
    gateway = str(request.param)
    payer_id = _payer_with_a_saved_card(journey_sandbox.url, gateway)
    order = one_off(payer_id, amount_minor=4_500, currency=CURRENCIES[gateway])
    return authorize(channel, order, key="order-1", timeout=30)


class TestShopOrder:
    def test_authorize_then_capture_takes_the_money_once(
        self,
        held: billing_pb2.Payment,
        journey_sandbox: SandboxThread,
        channel: grpc.Channel,
    ) -> None:
        captured = stub(channel).CapturePayment(
            billing_pb2.CapturePaymentRequest(
                payment_id=held.id, idempotency_key="capture-1"
            ),
            metadata=service_metadata(WRITE),
            timeout=30,
        )

        assert held.status == billing_pb2.PAYMENT_STATUS_AUTHORIZED
        assert captured.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert Payment.objects.get(id=held.id).captured_minor == 4_500
        assert _sandbox_kinds(journey_sandbox.url, held.id) == ["authorize", "capture"]

    def test_authorize_then_void_releases_the_hold(
        self,
        held: billing_pb2.Payment,
        journey_sandbox: SandboxThread,
        channel: grpc.Channel,
    ) -> None:
        voided = stub(channel).VoidPayment(
            billing_pb2.VoidPaymentRequest(
                payment_id=held.id, idempotency_key="void-1"
            ),
            metadata=service_metadata(WRITE),
            timeout=30,
        )

        assert voided.payment.status == billing_pb2.PAYMENT_STATUS_CANCELED
        assert Payment.objects.get(id=held.id).captured_minor == 0
        assert _sandbox_kinds(journey_sandbox.url, held.id) == ["authorize", "void"]
