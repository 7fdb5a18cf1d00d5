"""A shop order held on billing's checkout page, then captured, all over gRPC.

The shop's member has no saved card: the shop opens a hold page
(CreateCheckoutSession), the member pays it with a card that asks for 3-D Secure,
the amount is held and the card saved; the shop captures the order and holds the
next one on the saved card with no page. The real adapters and official SDKs talk
to the gateway sandbox over HTTP; the browser is the Django test client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from pytest_django.fixtures import Settings

from billing.models import BillingEvent
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.server import build_server
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from tests.grpc_api.payment_calls import WRITE, authorize, one_off, open_checkout, stub
from tests.grpc_api.tokens import service_metadata
from tests.journeys.cards import CARDS, DECLINE_CODES, ledger
from tests.journeys.checkout_pages import Payer, redirect_query

# The gRPC server's threads read committed rows only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

GATEWAYS = {
    "cloudpayments": billing_pb2.GATEWAY_CLOUDPAYMENTS,
    "stripe": billing_pb2.GATEWAY_STRIPE,
}
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}
AMOUNT_MINOR = 4_500
RETURN_URL = "https://shop.example/orders/1/"


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    """The gRPC server in this process, as the shop reaches it."""
    server = build_server(host="127.0.0.1", port=0)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as opened:
        yield opened
    server.stop(grace=0)


@pytest.fixture
def pages_here(settings: Settings) -> None:
    """Checkout pages are linked on the test client's host."""
    settings.CHECKOUT_BASE_URL = "http://testserver"


@dataclass(frozen=True)
class _Hold:
    """A member's order and the hold page the shop sent the member to."""

    payer_id: uuid.UUID
    order: str
    opened: billing_pb2.CreateCheckoutSessionResponse
    member: Payer


def _send_to_page(channel: grpc.Channel, gateway: str, sandbox_url: str) -> _Hold:
    """What the shop does for a member without a saved card."""
    payer_id, order = uuid.uuid4(), f"order:{uuid.uuid4()}"
    payment = one_off(
        payer_id,
        amount_minor=AMOUNT_MINOR,
        currency=CURRENCIES[gateway],
        client_reference=order,
    )
    opened = open_checkout(
        channel,
        payment,
        key=f"order-hold:{order}:1",
        gateway=GATEWAYS[gateway],
        success_url=RETURN_URL,
        failure_url=RETURN_URL,
    )
    member = Payer(sandbox_url, gateway, opened.checkout_url)
    return _Hold(payer_id, order, opened, member)


def _ledger_kinds(sandbox_url: str, payment_id: uuid.UUID | str) -> list[str]:
    """What the sandbox's ledger holds for our payment: its entries' kinds."""
    reference = f"payment:{payment_id}"
    entries = ledger(sandbox_url, reference=reference)["entries"]
    if not entries:
        entries = ledger(sandbox_url, invoice_id=reference)["entries"]
    return [str(entry["kind"]) for entry in entries if isinstance(entry, dict)]


def _capture(channel: grpc.Channel, payment_id: str) -> billing_pb2.Payment:
    response = stub(channel).CapturePayment(
        billing_pb2.CapturePaymentRequest(
            payment_id=payment_id, idempotency_key=f"order-capture:{payment_id}"
        ),
        metadata=service_metadata(WRITE),
        timeout=30,
    )
    return response.payment


@pytest.mark.usefixtures("pages_here")
@pytest.mark.parametrize("gateway", sorted(GATEWAYS))
class TestOrderHoldCheckout:
    def test_the_page_holds_the_order_and_saves_the_card_for_the_next(
        self,
        gateway: str,
        sandbox_url: str,
        channel: grpc.Channel,
    ) -> None:
        hold = _send_to_page(channel, gateway, sandbox_url)
        payer_id, order, opened = hold.payer_id, hold.order, hold.opened
        page = hold.member.open_page()
        # 3-D Secure on the page, then off-session without it: CloudPayments'
        # 4242 4242 4242 4242, Stripe's 4000 0025 0000 3155.
        number = CARDS[gateway]["setup_3ds"]
        challenge = hold.member.pay_with(number)

        back = hold.member.pass_challenge(challenge)

        assert "held on your card, not charged" in page
        assert redirect_query(back, RETURN_URL) == {
            "checkout": opened.checkout_session_id,
            "status": "succeeded",
        }
        session = CheckoutSession.objects.get(id=opened.checkout_session_id)
        held = Payment.objects.get(pays=order)
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.payment_id == held.id
        assert held.status == PaymentStatus.AUTHORIZED
        assert held.kind == PaymentKind.ORDER
        assert (held.amount_minor, held.captured_minor) == (AMOUNT_MINOR, 0)
        assert _ledger_kinds(sandbox_url, held.id) == ["authorize"]
        card = PaymentMethod.objects.get(payer_id=payer_id)
        assert card.is_default
        assert card.last4 == number[-4:]
        (event,) = BillingEvent.objects.filter(type="payment.authorized")
        assert event.payload["pays"] == order
        assert event.payload["payment_id"] == str(held.id)

        captured = _capture(channel, str(held.id))
        again = _capture(channel, str(held.id))
        next_order = authorize(
            channel,
            one_off(payer_id, amount_minor=1_200, currency=CURRENCIES[gateway]),
            timeout=30,
        )

        assert captured.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert again == captured
        held.refresh_from_db()
        assert held.captured_minor == AMOUNT_MINOR
        assert _ledger_kinds(sandbox_url, held.id) == ["authorize", "capture"]
        assert next_order.status == billing_pb2.PAYMENT_STATUS_AUTHORIZED
        assert Payment.objects.get(id=next_order.id).payment_method_id == card.id
        assert _ledger_kinds(sandbox_url, next_order.id) == ["authorize"]
        assert CheckoutSession.objects.count() == 1

    def test_a_declined_card_fails_the_page_and_holds_nothing(
        self,
        gateway: str,
        sandbox_url: str,
        channel: grpc.Channel,
    ) -> None:
        hold = _send_to_page(channel, gateway, sandbox_url)
        hold.member.open_page()

        refused = hold.member.pay_with(CARDS[gateway]["insufficient_funds"])

        query = redirect_query(refused, RETURN_URL)
        assert query["status"] == "failed"
        assert query["reason"] == DECLINE_CODES[gateway]
        session = CheckoutSession.objects.get(id=hold.opened.checkout_session_id)
        declined = Payment.objects.get(pays=hold.order)
        assert session.status == CheckoutSessionStatus.FAILED
        assert declined.status == PaymentStatus.FAILED
        assert declined.captured_minor == 0
        assert _ledger_kinds(sandbox_url, declined.id) == []
        assert not PaymentMethod.objects.filter(payer_id=hold.payer_id).exists()
        (event,) = BillingEvent.objects.filter(type="payment.failed")
        assert event.payload["pays"] == hold.order
        assert not BillingEvent.objects.filter(type="payment.authorized").exists()
