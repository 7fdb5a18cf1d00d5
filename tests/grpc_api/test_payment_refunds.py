"""RefundPayment over a real channel: services with the refund scope only."""

from __future__ import annotations

import uuid

import grpc
import pytest

from grpc_api.generated.billing.v1 import billing_pb2
from payments.gateways.base import Declined, Unavailable
from payments.gateways.fake import FakeGateway
from payments.models import Refund, RefundReason, RefundStatus
from tests.grpc_api.payment_calls import (
    REFUND,
    WRITE,
    charge,
    failure,
    one_off,
    saved_card,
    stub,
)
from tests.grpc_api.statuses import error_info
from tests.grpc_api.tokens import Metadata, service_metadata

pytestmark = pytest.mark.django_db(transaction=True)


def _refund(
    channel: grpc.Channel,
    payment_id: str,
    *,
    amount_minor: int = 0,
    reason: billing_pb2.RefundReason.ValueType = (
        billing_pb2.REFUND_REASON_REQUESTED_BY_CUSTOMER
    ),
    note: str = "",
    key: str = "",
    metadata: Metadata | None = None,
) -> billing_pb2.RefundPaymentResponse:
    return stub(channel).RefundPayment(
        billing_pb2.RefundPaymentRequest(
            payment_id=payment_id,
            amount_minor=amount_minor,
            reason=reason,
            note=note,
            idempotency_key=key or uuid.uuid4().hex,
        ),
        metadata=metadata or service_metadata(REFUND),
        timeout=10,
    )


@pytest.fixture
def paid(channel: grpc.Channel, fake_gateway: FakeGateway) -> billing_pb2.Payment:
    """A one-off charge of 10,000 kopecks that succeeded."""
    return charge(channel, one_off(saved_card().payer_id, amount_minor=10_000))


class TestRefundPayment:
    def test_refunds_all_that_is_left_for_amount_zero(
        self, channel: grpc.Channel, paid: billing_pb2.Payment
    ) -> None:
        _refund(channel, paid.id, amount_minor=3_000)

        response = _refund(channel, paid.id)

        assert response.payment.refunded_amount_minor == 10_000
        refund = Refund.objects.get(id=response.refund_id)
        assert (refund.amount_minor, refund.status) == (7_000, RefundStatus.SUCCEEDED)
        assert refund.reason == RefundReason.REQUESTED_BY_CUSTOMER
        assert refund.requested_by == "service:shop"

    def test_the_same_key_answers_the_first_refund(
        self,
        channel: grpc.Channel,
        paid: billing_pb2.Payment,
        fake_gateway: FakeGateway,
    ) -> None:
        first = _refund(channel, paid.id, amount_minor=2_500, key="refund-1")
        again = _refund(channel, paid.id, amount_minor=2_500, key="refund-1")

        assert again.refund_id == first.refund_id
        assert again.payment.refunded_amount_minor == 2_500
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_the_same_key_with_another_amount_is_already_exists(
        self, channel: grpc.Channel, paid: billing_pb2.Payment
    ) -> None:
        _refund(channel, paid.id, amount_minor=2_500, key="refund-1")

        error = failure(_refund, channel, paid.id, amount_minor=2_600, key="refund-1")

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert Refund.objects.count() == 1

    def test_other_needs_a_note(
        self, channel: grpc.Channel, paid: billing_pb2.Payment
    ) -> None:
        error = failure(
            _refund, channel, paid.id, reason=billing_pb2.REFUND_REASON_OTHER
        )
        noted = _refund(
            channel, paid.id, reason=billing_pb2.REFUND_REASON_OTHER, note="Stale."
        )

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == "note"
        assert Refund.objects.get(id=noted.refund_id).note == "Stale."

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"reason": billing_pb2.REFUND_REASON_UNSPECIFIED}, "reason"),
            ({"amount_minor": -1}, "amount_minor"),
            ({"payment_id": "nope"}, "payment_id"),
        ],
    )
    def test_a_malformed_field_is_invalid_argument(
        self,
        channel: grpc.Channel,
        paid: billing_pb2.Payment,
        changes: dict[str, object],
        field: str,
    ) -> None:
        arguments: dict[str, object] = {"payment_id": paid.id, **changes}
        payment_id = str(arguments.pop("payment_id"))

        error = failure(_refund, channel, payment_id, **arguments)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == field
        assert not Refund.objects.exists()

    def test_more_than_is_left_is_refused(
        self, channel: grpc.Channel, paid: billing_pb2.Payment
    ) -> None:
        error = failure(_refund, channel, paid.id, amount_minor=10_001)

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "refund_exceeds_captured"

    def test_an_unknown_payment_is_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        error = failure(_refund, channel, str(uuid.uuid4()))

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(error).reason == "payment_not_found"

    def test_a_token_without_the_refund_scope_is_denied(
        self, channel: grpc.Channel, paid: billing_pb2.Payment
    ) -> None:
        error = failure(_refund, channel, paid.id, metadata=service_metadata(WRITE))

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert not Refund.objects.exists()

    def test_a_refusal_is_failed_precondition_and_the_same_key_repeats_it(
        self,
        channel: grpc.Channel,
        paid: billing_pb2.Payment,
        fake_gateway: FakeGateway,
    ) -> None:
        fake_gateway.script(
            "refund", Declined(reason_code="card_closed", message="No.", hard=True)
        )

        error = failure(_refund, channel, paid.id, key="refund-1")
        again = failure(_refund, channel, paid.id, key="refund-1")

        assert error.code() == again.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "refund_failed"
        assert error_info(again).metadata == error_info(error).metadata
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_an_outage_is_unavailable_and_the_same_key_refunds_once(
        self,
        channel: grpc.Channel,
        paid: billing_pb2.Payment,
        fake_gateway: FakeGateway,
    ) -> None:
        fake_gateway.script("refund", Unavailable("down"))

        error = failure(_refund, channel, paid.id, key="refund-1")
        retried = _refund(channel, paid.id, key="refund-1")

        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert retried.payment.refunded_amount_minor == 10_000
        assert len(fake_gateway.refunds) == 1
        assert [r.status for r in Refund.objects.order_by("created_at")] == [
            RefundStatus.FAILED,
            RefundStatus.SUCCEEDED,
        ]
