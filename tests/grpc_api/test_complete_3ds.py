"""BillingService.Complete3ds over a real channel, on the in-memory gateway."""

from __future__ import annotations

import uuid

import grpc
import pytest

from billing.models import Invoice, InvoiceStatus
from grpc_api.generated.billing.v1 import billing_pb2
from payments.gateways.base import Declined, RequiresAction, ThreeDsChallenge
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from tests.grpc_api.starting import complete_3ds, start, start_request
from tests.grpc_api.statuses import error_reason
from tests.grpc_api.tokens import Metadata, user_metadata
from tests.payments.factories import pay_into_3ds_challenge
from tests.subscriptions.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)

CHALLENGE = RequiresAction(
    ThreeDsChallenge(
        gateway_reference="tx-3ds",
        url="https://acs.example/3ds",
        form_fields={"PaReq": "pareq-1", "MD": "tx-3ds"},
    )
)


def _started_into_3ds(
    channel: grpc.Channel, fake_gateway: FakeGateway, *, trial: bool = False
) -> billing_pb2.StartSubscriptionResponse:
    make_plan(code="pro-monthly", trial_days=14 if trial else 0)
    fake_gateway.script("setup_card" if trial else "charge", CHALLENGE)
    response = start(
        channel, start_request(uuid.uuid4(), "pro-monthly", with_trial=trial)
    )
    assert response.HasField("three_ds")
    return response


def _refused(
    channel: grpc.Channel, payment_id: str, metadata: Metadata | None = None
) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        complete_3ds(channel, payment_id, pa_res="pares", metadata=metadata)
    return raised.value


class TestComplete3dsOfASubscription:
    def test_pays_the_first_invoice_and_activates_the_subscription(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        started = _started_into_3ds(channel, fake_gateway)
        payer = uuid.UUID(started.subscription.payer_id)

        response = complete_3ds(
            channel,
            started.three_ds.payment_id,
            pa_res="pares-from-the-bank",
            metadata=user_metadata(payer),
        )

        assert response.payment.id == started.three_ds.payment_id
        assert response.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert response.payment.subscription_id == started.subscription.id
        assert not response.payment.HasField("three_ds")
        assert response.subscription.id == started.subscription.id
        assert response.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        subscription = Subscription.objects.get(id=started.subscription.id)
        assert subscription.status == SubscriptionStatus.ACTIVE
        invoice = Invoice.objects.get(subscription_id=subscription.id)
        assert invoice.status == InvoiceStatus.PAID
        (completion,) = fake_gateway.calls_to("complete_3ds")
        assert completion["gateway_reference"] == "tx-3ds"

    def test_a_second_call_answers_the_payment_as_it_stands(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        started = _started_into_3ds(channel, fake_gateway)
        first = complete_3ds(channel, started.three_ds.payment_id, pa_res="pares")

        again = complete_3ds(channel, started.three_ds.payment_id, pa_res="pares")

        assert again.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert again.subscription == first.subscription
        assert len(fake_gateway.calls_to("complete_3ds")) == 1

    def test_a_failed_authentication_fails_the_payment_and_expires_the_start(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        started = _started_into_3ds(channel, fake_gateway)
        fake_gateway.script(
            "complete_3ds",
            Declined(reason_code="5206", message="Authentication failed", hard=False),
        )

        response = complete_3ds(channel, started.three_ds.payment_id, pa_res="x")

        assert response.payment.status == billing_pb2.PAYMENT_STATUS_FAILED
        assert response.payment.failure_message == "Authentication failed"
        assert response.subscription.status == (billing_pb2.SUBSCRIPTION_STATUS_EXPIRED)

    def test_a_trials_card_check_starts_the_trial(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """A card check is no payment: only the subscription is answered."""
        started = _started_into_3ds(channel, fake_gateway, trial=True)

        response = complete_3ds(channel, started.three_ds.payment_id, pa_res="pares")

        assert not response.HasField("payment")
        assert response.subscription.id == started.subscription.id
        assert response.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_TRIALING
        )
        assert len(fake_gateway.calls_to("complete_card_setup")) == 1


class TestComplete3dsOfAOneOffPayment:
    def test_finishes_the_payment_alone(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)

        response = complete_3ds(channel, str(payment.id), pa_res="pares")

        assert response.payment.id == str(payment.id)
        assert response.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert response.payment.subscription_id == ""
        assert not response.HasField("subscription")
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED

    def test_the_payer_finishes_their_own(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)

        response = complete_3ds(
            channel,
            str(payment.id),
            pa_res="pares",
            metadata=user_metadata(payment.payer_id),
        )

        assert response.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED


class TestComplete3dsRefuses:
    def test_another_payers_payment_as_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        started = _started_into_3ds(channel, fake_gateway)

        error = _refused(
            channel, started.three_ds.payment_id, metadata=user_metadata(uuid.uuid4())
        )

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "payment_not_found"
        payment = Payment.objects.get(id=started.three_ds.payment_id)
        assert payment.status == PaymentStatus.REQUIRES_ACTION
        assert fake_gateway.calls_to("complete_3ds") == []

    def test_another_payers_card_check_as_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        started = _started_into_3ds(channel, fake_gateway, trial=True)

        error = _refused(
            channel, started.three_ds.payment_id, metadata=user_metadata(uuid.uuid4())
        )

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert fake_gateway.calls_to("complete_card_setup") == []

    def test_an_unknown_payment_as_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        error = _refused(channel, str(uuid.uuid4()))

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "payment_not_found"

    @pytest.mark.parametrize("payment_id", ["", "not-a-uuid"], ids=["none", "bad"])
    def test_a_missing_or_malformed_payment_id(
        self, channel: grpc.Channel, payment_id: str
    ) -> None:
        error = _refused(channel, payment_id)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) == "invalid_argument"
