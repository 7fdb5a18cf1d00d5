"""BillingService.ChangePlan over a real channel: upgrades now, downgrades later."""

from __future__ import annotations

import uuid

import grpc
import pytest

from billing.clock import billing_now
from billing.models import Invoice, InvoiceStatus
from billing.money import Money
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from subscriptions.models import Subscription
from subscriptions.services import cancel_subscription
from tests.grpc_api.statuses import error_info, error_reason
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata
from tests.subscriptions.factories import ACTOR, make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db(transaction=True)

PREMIUM = Money(149_900, "RUB")
BASIC = Money(49_900, "RUB")


@pytest.fixture
def stub(channel: grpc.Channel) -> billing_pb2_grpc.BillingServiceStub:
    return billing_pb2_grpc.BillingServiceStub(channel)


@pytest.fixture
def subscription(fake_gateway: FakeGateway) -> Subscription:
    """An ACTIVE monthly subscription, paid just now; premium and basic on offer."""
    make_plan(code="premium", price=PREMIUM)
    make_plan(code="basic", price=BASIC)
    return subscribe_with_card(
        make_plan(), payer_id=uuid.uuid4(), now=billing_now(), with_trial=False
    ).subscription


def _change(
    stub: billing_pb2_grpc.BillingServiceStub,
    subscription_id: str,
    plan_code: str,
    metadata: Metadata,
) -> billing_pb2.Subscription:
    request = billing_pb2.ChangePlanRequest(
        subscription_id=subscription_id, plan_code=plan_code
    )
    return stub.ChangePlan(request, metadata=metadata, timeout=10).subscription


def _refused(
    stub: billing_pb2_grpc.BillingServiceStub,
    subscription_id: str,
    plan_code: str,
    metadata: Metadata,
) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        _change(stub, subscription_id, plan_code, metadata)
    return raised.value


class TestChangePlan:
    def test_an_end_users_upgrade_is_charged_and_applies_now(
        self,
        stub: billing_pb2_grpc.BillingServiceStub,
        subscription: Subscription,
        fake_gateway: FakeGateway,
    ) -> None:
        message = _change(
            stub, str(subscription.id), "premium", user_metadata(subscription.payer_id)
        )

        assert message.plan_code == "premium"
        assert message.amount_minor == PREMIUM.amount_minor
        assert message.latest_invoice_status == billing_pb2.INVOICE_STATUS_PAID
        update = Invoice.objects.get(billing_reason="SUBSCRIPTION_UPDATE")
        assert update.status == InvoiceStatus.PAID
        assert len(fake_gateway.calls_to("charge")) == 2

    def test_a_downgrade_waits_for_the_period_end(
        self, stub: billing_pb2_grpc.BillingServiceStub, subscription: Subscription
    ) -> None:
        """The answer is still on the current plan; the next renewal bills basic."""
        message = _change(
            stub,
            str(subscription.id),
            "basic",
            service_metadata("billing.subscriptions.write"),
        )

        assert message.plan_code == "monthly"
        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        subscription.refresh_from_db()
        assert subscription.scheduled_plan is not None
        assert subscription.scheduled_plan.code == "basic"

    def test_a_declined_upgrade_is_a_failed_precondition_and_changes_nothing(
        self,
        stub: billing_pb2_grpc.BillingServiceStub,
        subscription: Subscription,
        fake_gateway: FakeGateway,
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )

        error = _refused(
            stub, str(subscription.id), "premium", user_metadata(subscription.payer_id)
        )

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(error) == "plan_change_payment_failed"
        after = stub.GetSubscription(
            billing_pb2.GetSubscriptionRequest(subscription_id=str(subscription.id)),
            metadata=user_metadata(subscription.payer_id),
            timeout=10,
        ).subscription
        assert after.plan_code == "monthly"
        # The upgrade's invoice, voided, is the newest.
        assert after.latest_invoice_status == billing_pb2.INVOICE_STATUS_VOID

    def test_an_ended_subscription_cannot_change_plan(
        self, stub: billing_pb2_grpc.BillingServiceStub, subscription: Subscription
    ) -> None:
        cancel_subscription(
            subscription_id=subscription.id,
            now=billing_now(),
            actor=ACTOR,
            at_period_end=False,
        )

        error = _refused(
            stub, str(subscription.id), "premium", user_metadata(subscription.payer_id)
        )

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(error) == "plan_change_not_allowed"

    def test_an_unknown_plan_is_not_found(
        self, stub: billing_pb2_grpc.BillingServiceStub, subscription: Subscription
    ) -> None:
        error = _refused(
            stub, str(subscription.id), "gold", user_metadata(subscription.payer_id)
        )

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "plan_not_found"

    def test_an_empty_plan_code_is_an_invalid_argument(
        self, stub: billing_pb2_grpc.BillingServiceStub, subscription: Subscription
    ) -> None:
        """(The subscription_id is checked as in every subscription RPC.)"""
        error = _refused(
            stub, str(subscription.id), "", user_metadata(subscription.payer_id)
        )

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == "plan_code"
