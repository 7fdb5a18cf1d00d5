"""CreateCheckoutSession over a channel: a hold page for a payer without a card."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from billing.models import ClientRequest
from grpc_api.generated.billing.v1 import billing_pb2
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
    PaymentStatus,
)
from tests.grpc_api.payment_calls import (
    READ,
    WRITE,
    authorize,
    failure,
    one_off,
    open_checkout,
    saved_card,
)
from tests.grpc_api.statuses import error_info
from tests.grpc_api.tokens import service_metadata, user_metadata
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)

BASE_URL = "https://billing.example"
BAD_REFERENCE = "invalid_one_off_payment"


@pytest.fixture(autouse=True)
def _public_address(settings: Settings) -> None:
    settings.CHECKOUT_BASE_URL = f"{BASE_URL}/"
    settings.DEFAULT_PAYMENT_GATEWAY = "stripe"


def _order() -> str:
    return f"order:{uuid.uuid4()}"


class TestCreateCheckoutSession:
    def test_opens_a_hold_page_and_answers_its_absolute_address(
        self, channel: grpc.Channel
    ) -> None:
        payer_id, order = uuid.uuid4(), _order()

        opened = open_checkout(
            channel, one_off(payer_id, amount_minor=4_200, client_reference=order)
        )

        session = CheckoutSession.objects.get(id=opened.checkout_session_id)
        assert opened.checkout_url == f"{BASE_URL}/checkout/{session.id}/"
        assert opened.expires_at.ToDatetime(tzinfo=dt.UTC) == session.expires_at
        assert session.expires_at - session.created_at == dt.timedelta(minutes=30)
        assert session.mode == CheckoutSessionMode.AUTHORIZE
        assert session.pays == order
        assert session.payer_id == payer_id
        assert (session.amount_minor, session.currency) == (4_200, "RUB")
        assert session.description == "Snacks"
        assert session.success_url == "https://shop.example/orders/1/"
        assert session.created_by == "service:shop"
        assert session.status == CheckoutSessionStatus.OPEN

    def test_without_a_gateway_the_page_is_on_billings_default(
        self, channel: grpc.Channel, settings: Settings
    ) -> None:
        settings.DEFAULT_PAYMENT_GATEWAY = "cloudpayments"

        opened = open_checkout(channel, one_off(uuid.uuid4()))

        session = CheckoutSession.objects.get(id=opened.checkout_session_id)
        assert session.gateway == "cloudpayments"

    def test_a_named_gateway_is_the_pages(self, channel: grpc.Channel) -> None:
        opened = open_checkout(
            channel, one_off(uuid.uuid4()), gateway=billing_pb2.GATEWAY_CLOUDPAYMENTS
        )

        session = CheckoutSession.objects.get(id=opened.checkout_session_id)
        assert session.gateway == "cloudpayments"

    def test_the_page_holds_and_the_next_order_needs_none(
        self, channel: grpc.Channel, settings: Settings, fake_gateway: FakeGateway
    ) -> None:
        """The card entered on the page is the one AuthorizePayment uses next."""
        settings.DEFAULT_PAYMENT_GATEWAY = "fake"
        payer_id, order = uuid.uuid4(), _order()
        opened = open_checkout(channel, one_off(payer_id, client_reference=order))

        paid = Client().post(
            f"/checkout/{opened.checkout_session_id}/pay",
            {"card_payload": "sbx1:card"},
        )
        second = authorize(channel, one_off(payer_id))

        assert paid.status_code == 302
        held = Payment.objects.get(pays=order)
        assert held.status == PaymentStatus.AUTHORIZED
        assert held.captured_minor == 0
        assert second.status == billing_pb2.PAYMENT_STATUS_AUTHORIZED
        assert Payment.objects.get(id=second.id).payment_method_id == (
            held.payment_method_id
        )
        assert CheckoutSession.objects.count() == 1


class TestCreateCheckoutSessionRefusals:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"mode": billing_pb2.CHECKOUT_MODE_UNSPECIFIED}, "mode"),
            ({"gateway": 99}, "gateway"),
            ({"idempotency_key": "k" * 256}, "idempotency_key"),
        ],
    )
    def test_a_malformed_field_is_invalid_argument(
        self, channel: grpc.Channel, fields: dict[str, object], field: str
    ) -> None:
        error = failure(open_checkout, channel, one_off(uuid.uuid4()), **fields)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == field
        assert not CheckoutSession.objects.exists()

    @pytest.mark.parametrize(
        ("payment", "reason"),
        [
            (one_off(uuid.uuid4(), amount_minor=0), "invalid_argument"),
            (one_off(uuid.uuid4(), currency="XYZ"), "invalid_argument"),
            (one_off("", client_reference="order:1"), "invalid_argument"),
            (one_off(uuid.uuid4(), client_reference=""), BAD_REFERENCE),
            (one_off(uuid.uuid4(), client_reference="invoice:7"), BAD_REFERENCE),
            (one_off(uuid.uuid4(), description="x" * 201), "invalid_checkout_session"),
        ],
    )  # fmt: skip
    def test_a_malformed_payment_is_invalid_argument(
        self, channel: grpc.Channel, payment: billing_pb2.OneOffPayment, reason: str
    ) -> None:
        error = failure(open_checkout, channel, payment)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).reason == reason
        assert not CheckoutSession.objects.exists()

    @pytest.mark.parametrize(
        "url",
        [
            "javascript:alert(1)",
            "https://evil.invalid/orders/1/",
            "",
            "https://shop.example/" + "x" * 2000,
        ],
    )
    def test_a_refused_return_address_is_invalid_argument(
        self, channel: grpc.Channel, url: str
    ) -> None:
        error = failure(open_checkout, channel, one_off(uuid.uuid4()), success_url=url)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).reason == "invalid_checkout_session"
        assert "success_url" in error_info(error).metadata["fields"]

    def test_a_reference_held_already_is_failed_precondition(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        order = _order()
        authorize(channel, one_off(card.payer_id, client_reference=order))

        error = failure(
            open_checkout, channel, one_off(card.payer_id, client_reference=order)
        )

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "payment_in_progress"

    def test_a_reference_paid_on_a_page_already_is_failed_precondition(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        order = _order()
        PaymentFactory.create(pays=order, capture=False)

        error = failure(
            open_checkout, channel, one_off(uuid.uuid4(), client_reference=order)
        )

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "payment_in_progress"

    def test_a_reference_with_an_open_page_is_failed_precondition(
        self, channel: grpc.Channel
    ) -> None:
        payment = one_off(uuid.uuid4())
        open_checkout(channel, payment, key="hold-1")

        error = failure(open_checkout, channel, payment, key="hold-2")

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "checkout_reference_taken"
        assert CheckoutSession.objects.count() == 1

    def test_an_end_user_may_not_open_a_hold_page(self, channel: grpc.Channel) -> None:
        payer_id = uuid.uuid4()

        error = failure(
            open_checkout, channel, one_off(payer_id), metadata=user_metadata(payer_id)
        )

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    def test_a_service_without_the_write_scope_is_denied(
        self, channel: grpc.Channel
    ) -> None:
        error = failure(
            open_checkout,
            channel,
            one_off(uuid.uuid4()),
            metadata=service_metadata(READ),
        )

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert WRITE in (error.details() or "")


class TestCreateCheckoutSessionRetries:
    def test_the_same_key_and_request_answer_the_same_page(
        self, channel: grpc.Channel
    ) -> None:
        payment = one_off(uuid.uuid4())

        first = open_checkout(channel, payment, key="hold-1")
        again = open_checkout(channel, payment, key="hold-1")

        assert again == first
        assert CheckoutSession.objects.count() == 1
        stored = ClientRequest.objects.get(key="hold-1")
        assert (stored.client, stored.operation) == (
            "service:shop",
            "create_checkout_session",
        )
        assert stored.result == f"checkout:{first.checkout_session_id}"

    def test_a_retry_after_the_page_was_used_answers_it_still(
        self, channel: grpc.Channel, settings: Settings, fake_gateway: FakeGateway
    ) -> None:
        settings.DEFAULT_PAYMENT_GATEWAY = "fake"
        payment = one_off(uuid.uuid4())
        first = open_checkout(channel, payment, key="hold-1")
        Client().post(
            f"/checkout/{first.checkout_session_id}/pay", {"card_payload": "sbx1:card"}
        )

        again = open_checkout(channel, payment, key="hold-1")

        assert again == first

    def test_the_same_key_with_another_request_is_already_exists(
        self, channel: grpc.Channel
    ) -> None:
        payment = one_off(uuid.uuid4(), amount_minor=1_000)
        open_checkout(channel, payment, key="hold-1")
        payment.amount_minor = 1_001

        error = failure(open_checkout, channel, payment, key="hold-1")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(error).reason == "duplicate_request"
        assert CheckoutSession.objects.count() == 1

    def test_a_key_used_by_another_operation_is_already_exists(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        authorize(channel, one_off(card.payer_id), key="order-key")

        error = failure(open_checkout, channel, one_off(card.payer_id), key="order-key")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS

    def test_a_key_whose_refusal_stored_nothing_may_open_the_page(
        self, channel: grpc.Channel
    ) -> None:
        """As the shop does: AuthorizePayment finds no card, then the page, one key."""
        payment = one_off(uuid.uuid4())
        refused = failure(authorize, channel, payment, key="order-hold:1:1")

        opened = open_checkout(channel, payment, key="order-hold:1:1")

        assert error_info(refused).reason == "no_usable_payment_method"
        assert CheckoutSession.objects.filter(id=opened.checkout_session_id).exists()
