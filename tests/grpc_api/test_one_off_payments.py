"""AuthorizePayment, ChargePayment, CapturePayment and VoidPayment over a channel."""

from __future__ import annotations

import uuid

import grpc
import pytest

from billing.models import ClientRequest
from grpc_api.generated.billing.v1 import billing_pb2
from payments.gateways.base import Declined, Unavailable
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentKind, PaymentStatus
from tests.billing.factories import PayerFactory
from tests.grpc_api.payment_calls import (
    WRITE,
    authorize,
    charge,
    failure,
    one_off,
    saved_card,
    stub,
)
from tests.grpc_api.statuses import error_info
from tests.grpc_api.tokens import service_metadata, user_metadata

pytestmark = pytest.mark.django_db(transaction=True)


def _capture(
    channel: grpc.Channel, payment_id: str, *, amount_minor: int = 0, key: str = ""
) -> billing_pb2.Payment:
    return (
        stub(channel)
        .CapturePayment(
            billing_pb2.CapturePaymentRequest(
                payment_id=payment_id,
                amount_minor=amount_minor,
                idempotency_key=key or uuid.uuid4().hex,
            ),
            metadata=service_metadata(WRITE),
            timeout=10,
        )
        .payment
    )


def _void(
    channel: grpc.Channel, payment_id: str, *, key: str = ""
) -> billing_pb2.Payment:
    return (
        stub(channel)
        .VoidPayment(
            billing_pb2.VoidPaymentRequest(
                payment_id=payment_id, idempotency_key=key or uuid.uuid4().hex
            ),
            metadata=service_metadata(WRITE),
            timeout=10,
        )
        .payment
    )


class TestAuthorizePayment:
    def test_holds_the_amount_on_the_saved_card_for_the_order(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        order = f"order:{uuid.uuid4()}"

        payment = authorize(
            channel, one_off(card.payer_id, amount_minor=4_200, client_reference=order)
        )

        assert payment.status == billing_pb2.PAYMENT_STATUS_AUTHORIZED
        assert payment.kind == billing_pb2.PAYMENT_KIND_ORDER
        assert (payment.amount_minor, payment.currency) == (4_200, "RUB")
        assert payment.client_reference == order
        assert payment.payer_id == str(card.payer_id)
        (sent,) = fake_gateway.calls_to("charge")
        assert sent["request"].capture is False
        assert Payment.objects.get(id=payment.id).pays == order

    def test_the_same_key_and_request_answer_the_first_payment(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """A retry after a lost reply: no second payment, no second gateway call."""
        card = saved_card()
        request = one_off(card.payer_id)

        first = authorize(channel, request, key="order-key-1")
        again = authorize(channel, request, key="order-key-1")

        assert again.id == first.id
        assert again.status == billing_pb2.PAYMENT_STATUS_AUTHORIZED
        assert len(fake_gateway.calls_to("charge")) == 1
        assert Payment.objects.count() == 1

    def test_the_same_key_with_another_amount_is_already_exists(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        request = one_off(card.payer_id, amount_minor=1_000)
        authorize(channel, request, key="order-key-1")
        request.amount_minor = 1_001

        error = failure(authorize, channel, request, key="order-key-1")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(error).reason == "duplicate_request"
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_another_key_for_an_order_already_held_is_refused(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """The order is the paid object: a second key cannot charge it twice."""
        card = saved_card()
        request = one_off(card.payer_id)
        authorize(channel, request, key="order-key-1")

        error = failure(authorize, channel, request, key="order-key-2")

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "payment_in_progress"
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_a_decline_answers_the_failed_payment(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Not enough money.", hard=False),
        )

        payment = authorize(channel, one_off(card.payer_id))

        assert payment.status == billing_pb2.PAYMENT_STATUS_FAILED
        assert payment.failure_message == "Not enough money."

    def test_a_payer_without_a_saved_card_is_failed_precondition(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        payer = PayerFactory.create()

        error = failure(authorize, channel, one_off(payer.id))

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "no_usable_payment_method"
        assert fake_gateway.calls_to("charge") == []

    def test_an_end_user_may_not_authorize(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()

        error = failure(
            authorize,
            channel,
            one_off(card.payer_id),
            metadata=user_metadata(card.payer_id),
        )

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert not Payment.objects.exists()


class TestGatewayOutage:
    def test_is_unavailable_and_the_same_key_may_be_retried(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """Nothing reached the gateway: the retry acts anew and is charged once."""
        card = saved_card()
        request = one_off(card.payer_id)
        fake_gateway.script("charge", Unavailable("connection refused"))

        error = failure(charge, channel, request, key="charge-key-1")
        retried = charge(channel, request, key="charge-key-1")

        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(error).reason == "gateway_unavailable"
        assert retried.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        unreached = Payment.objects.get(id=error_info(error).metadata["payment"])
        assert unreached.status == PaymentStatus.FAILED
        assert retried.id != str(unreached.id)
        assert ClientRequest.objects.get(key="charge-key-1").result == (
            f"payment:{retried.id}"
        )
        assert [p.status for p in Payment.objects.order_by("created_at")] == [
            PaymentStatus.FAILED,
            PaymentStatus.SUCCEEDED,
        ]
        assert len(fake_gateway.calls_to("charge")) == 2  # the first raised Unavailable
        assert fake_gateway.payments.keys() == {
            p.gateway_reference
            for p in Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
        }


class TestChargePayment:
    def test_takes_the_amount_once(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()

        payment = charge(channel, one_off(card.payer_id, amount_minor=777))

        assert payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert payment.kind == billing_pb2.PAYMENT_KIND_ONE_OFF
        assert Payment.objects.get(id=payment.id).captured_minor == 777
        (sent,) = fake_gateway.calls_to("charge")
        assert sent["request"].capture is True

    def test_a_key_used_to_authorize_cannot_charge(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        request = one_off(card.payer_id)
        authorize(channel, request, key="shared-key")

        error = failure(charge, channel, request, key="shared-key")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS


def _invalid(field: str, value: object) -> billing_pb2.OneOffPayment:
    payment = one_off(uuid.uuid4())
    setattr(payment, field, value)
    return payment


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        (_invalid("payer_id", ""), "payment.payer_id"),
        (_invalid("payer_id", "not-a-uuid"), "payment.payer_id"),
        (_invalid("amount_minor", 0), "payment.amount_minor"),
        (_invalid("amount_minor", -5), "payment.amount_minor"),
        (_invalid("currency", ""), "payment.currency"),
        (_invalid("currency", "rub"), "payment.currency"),
        (_invalid("currency", "XXX"), "payment.currency"),
        (_invalid("client_reference", ""), "client_reference"),
        (_invalid("client_reference", "order"), "client_reference"),
        (_invalid("client_reference", "order:a b"), "client_reference"),
        (_invalid("client_reference", "order:" + "1" * 55), "client_reference"),
        (_invalid("client_reference", f"invoice:{uuid.uuid4()}"), "client_reference"),
        (_invalid("client_reference", f"checkout:{uuid.uuid4()}"), "client_reference"),
        (_invalid("description", "x" * 201), "description"),
    ],
)
def test_a_malformed_field_is_invalid_argument_naming_it(
    channel: grpc.Channel,
    fake_gateway: FakeGateway,
    payment: billing_pb2.OneOffPayment,
    field: str,
) -> None:
    if payment.payer_id and payment.payer_id != "not-a-uuid":
        saved_card(PayerFactory.create(id=uuid.UUID(payment.payer_id)))

    error = failure(charge, channel, payment)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(error).metadata["field"] == field
    assert not Payment.objects.exists()
    assert not ClientRequest.objects.exists()


def test_a_write_without_an_idempotency_key_is_invalid_argument(
    channel: grpc.Channel, fake_gateway: FakeGateway
) -> None:
    card = saved_card()

    error = failure(
        stub(channel).ChargePayment,
        billing_pb2.ChargePaymentRequest(payment=one_off(card.payer_id)),
        metadata=service_metadata(WRITE),
        timeout=10,
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(error).metadata["field"] == "idempotency_key"


class TestCapturePayment:
    def test_takes_the_whole_authorization_for_amount_zero(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id, amount_minor=9_000))

        captured = _capture(channel, held.id)

        assert captured.id == held.id
        assert captured.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert Payment.objects.get(id=held.id).captured_minor == 9_000

    def test_takes_part_of_the_authorization(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id, amount_minor=9_000))

        _capture(channel, held.id, amount_minor=6_000)

        assert Payment.objects.get(id=held.id).captured_minor == 6_000

    def test_the_same_key_answers_again_and_another_amount_is_already_exists(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id, amount_minor=9_000))
        _capture(channel, held.id, amount_minor=6_000, key="capture-1")

        again = _capture(channel, held.id, amount_minor=6_000, key="capture-1")
        error = failure(_capture, channel, held.id, amount_minor=5_000, key="capture-1")

        assert again.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert len(fake_gateway.calls_to("capture")) == 1

    def test_more_than_the_authorization_is_refused(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id, amount_minor=9_000))

        error = failure(_capture, channel, held.id, amount_minor=9_001)

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "capture_exceeds_authorization"
        assert Payment.objects.get(id=held.id).status == PaymentStatus.AUTHORIZED

    def test_a_charge_that_was_never_authorized_cannot_be_captured(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        declined = Declined(reason_code="5051", message="No.", hard=False)
        fake_gateway.script("charge", declined)
        failed = authorize(channel, one_off(saved_card().payer_id))

        error = failure(_capture, channel, failed.id)

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "invalid_status_transition"

    @pytest.mark.parametrize(
        ("payment_id", "code"),
        [
            ("", grpc.StatusCode.INVALID_ARGUMENT),
            ("nope", grpc.StatusCode.INVALID_ARGUMENT),
            (str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND),
        ],
    )
    def test_a_missing_malformed_or_unknown_payment_is_refused(
        self, channel: grpc.Channel, payment_id: str, code: grpc.StatusCode
    ) -> None:
        error = failure(_capture, channel, payment_id)

        assert error.code() == code

    def test_a_gateway_outage_is_unavailable_and_the_same_key_retries(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id))
        fake_gateway.script("capture", Unavailable("down"))

        error = failure(_capture, channel, held.id, key="capture-1")
        captured = _capture(channel, held.id, key="capture-1")

        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert captured.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED


class TestVoidPayment:
    def test_releases_the_authorization_once(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id))

        voided = _void(channel, held.id, key="void-1")
        again = _void(channel, held.id, key="void-1")

        assert voided.status == again.status == billing_pb2.PAYMENT_STATUS_CANCELED
        assert len(fake_gateway.calls_to("void")) == 1

    def test_the_key_of_a_void_cannot_void_another_payment(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        card = saved_card()
        first = authorize(channel, one_off(card.payer_id))
        second = authorize(channel, one_off(card.payer_id))
        _void(channel, first.id, key="void-1")

        error = failure(_void, channel, second.id, key="void-1")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert Payment.objects.get(id=second.id).status == PaymentStatus.AUTHORIZED

    def test_a_captured_payment_cannot_be_voided(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        held = authorize(channel, one_off(saved_card().payer_id))
        _capture(channel, held.id)

        error = failure(_void, channel, held.id)

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert Payment.objects.get(id=held.id).kind == PaymentKind.ORDER
