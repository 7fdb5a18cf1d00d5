"""BillingService.GetSubscription, CancelSubscription and ResumeSubscription over a
real channel, for end users and for services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

import grpc
import pytest

from billing.clock import billing_now
from billing.models import BillingEvent, InvoiceStatus, StatusChange
from billing.money import Money
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from payments.gateways.fake import FakeGateway
from payments.models import Refund
from subscriptions.models import Subscription, SubscriptionStatus
from tests.grpc_api.statuses import error_info, error_reason
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata
from tests.subscriptions.factories import (
    MONTHLY_PRICE,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db(transaction=True)

WRITE = "billing.subscriptions.write"


@pytest.fixture(autouse=True)
def gateway(fake_gateway: FakeGateway) -> FakeGateway:
    return fake_gateway


@pytest.fixture
def stub(channel: grpc.Channel) -> billing_pb2_grpc.BillingServiceStub:
    return billing_pb2_grpc.BillingServiceStub(channel)


def _paid_subscription(payer_id: uuid.UUID | None = None) -> Subscription:
    """An ACTIVE subscription whose first invoice is paid, started just now."""
    return subscribe_with_card(
        make_plan(),
        payer_id=payer_id or uuid.uuid4(),
        now=billing_now(),
        with_trial=False,
    ).subscription


def _get(
    stub: billing_pb2_grpc.BillingServiceStub, subscription_id: str, metadata: Metadata
) -> billing_pb2.Subscription:
    request = billing_pb2.GetSubscriptionRequest(subscription_id=subscription_id)
    return stub.GetSubscription(request, metadata=metadata, timeout=10).subscription


def _cancel(
    stub: billing_pb2_grpc.BillingServiceStub,
    subscription_id: str,
    metadata: Metadata,
    *,
    at_period_end: bool,
) -> billing_pb2.Subscription:
    request = billing_pb2.CancelSubscriptionRequest(
        subscription_id=subscription_id, at_period_end=at_period_end
    )
    return stub.CancelSubscription(request, metadata=metadata, timeout=10).subscription


def _resume(
    stub: billing_pb2_grpc.BillingServiceStub, subscription_id: str, metadata: Metadata
) -> billing_pb2.Subscription:
    request = billing_pb2.ResumeSubscriptionRequest(subscription_id=subscription_id)
    return stub.ResumeSubscription(request, metadata=metadata, timeout=10).subscription


class TestGetSubscription:
    def test_answers_an_end_users_own_subscription(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()

        message = _get(stub, str(subscription.id), user_metadata(subscription.payer_id))

        assert message.id == str(subscription.id)
        assert message.payer_id == str(subscription.payer_id)
        assert message.plan_code == "monthly"
        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert (message.amount_minor, message.currency) == (
            MONTHLY_PRICE.amount_minor,
            MONTHLY_PRICE.currency,
        )
        assert message.latest_invoice_status == billing_pb2.INVOICE_STATUS_PAID
        assert (
            message.current_period_end.ToDatetime(
                tzinfo=subscription.current_period_ends_at.tzinfo
            )
            == subscription.current_period_ends_at
        )
        assert not message.cancel_at_period_end
        assert not message.HasField("canceled_at")

    def test_a_service_reads_any_payers_subscription(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()

        message = _get(stub, str(subscription.id), service_metadata("billing.read"))

        assert message.id == str(subscription.id)
        assert message.latest_invoice_status == billing_pb2.INVOICE_STATUS_PAID

    def test_a_trial_has_no_invoice_status_before_its_first_invoice(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = subscribe_with_card(
            make_plan(trial_days=14), now=billing_now()
        ).subscription

        message = _get(stub, str(subscription.id), user_metadata(subscription.payer_id))

        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_TRIALING
        assert message.HasField("trial_end")
        assert message.latest_invoice_status == billing_pb2.INVOICE_STATUS_UNSPECIFIED


class TestCancelSubscription:
    def test_an_end_user_cancels_at_the_period_end(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        """Access continues to the end of the paid period; the trail names the user."""
        subscription = _paid_subscription()

        message = _cancel(
            stub,
            str(subscription.id),
            user_metadata(subscription.payer_id),
            at_period_end=True,
        )

        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert message.cancel_at_period_end
        subscription.refresh_from_db()
        assert subscription.cancel_at == subscription.current_period_ends_at
        event = BillingEvent.objects.get(type="subscription.cancellation_scheduled")
        assert event.payload["actor"] == f"user:{subscription.payer_id}"

    def test_a_cancellation_now_ends_access_and_refunds_nothing(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        """Refunds of unused time are accounting's call, through the support API."""
        subscription = _paid_subscription()

        message = _cancel(
            stub,
            str(subscription.id),
            service_metadata(WRITE, name="shop"),
            at_period_end=False,
        )

        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_CANCELED
        assert message.HasField("canceled_at")
        assert not Refund.objects.exists()
        change = StatusChange.objects.get(
            object_type="subscription", to_status=SubscriptionStatus.CANCELED
        )
        assert change.actor == "service:shop"

    def test_canceling_a_canceled_subscription_is_a_failed_precondition(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()
        metadata = user_metadata(subscription.payer_id)
        _cancel(stub, str(subscription.id), metadata, at_period_end=False)

        with pytest.raises(grpc.RpcError) as raised:
            _cancel(stub, str(subscription.id), metadata, at_period_end=False)

        assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(raised.value) == "invalid_status_transition"


class TestResumeSubscription:
    def test_an_end_user_takes_back_a_cancellation_at_period_end(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()
        metadata = user_metadata(subscription.payer_id)
        _cancel(stub, str(subscription.id), metadata, at_period_end=True)

        message = _resume(stub, str(subscription.id), metadata)

        assert message.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert not message.cancel_at_period_end
        subscription.refresh_from_db()
        assert subscription.cancel_at is None

    def test_a_service_takes_back_a_cancellation(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()
        metadata = service_metadata(WRITE)
        _cancel(stub, str(subscription.id), metadata, at_period_end=True)

        message = _resume(stub, str(subscription.id), metadata)

        assert not message.cancel_at_period_end
        assert message.latest_invoice_status == billing_pb2.INVOICE_STATUS_PAID

    def test_without_a_cancellation_to_take_back_it_is_a_failed_precondition(
        self, stub: billing_pb2_grpc.BillingServiceStub
    ) -> None:
        subscription = _paid_subscription()

        with pytest.raises(grpc.RpcError) as raised:
            _resume(stub, str(subscription.id), user_metadata(subscription.payer_id))

        assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(raised.value) == "invalid_status_transition"


def _change_plan(
    stub: billing_pb2_grpc.BillingServiceStub, subscription_id: str, metadata: Metadata
) -> billing_pb2.Subscription:
    request = billing_pb2.ChangePlanRequest(
        subscription_id=subscription_id, plan_code="premium"
    )
    return stub.ChangePlan(request, metadata=metadata, timeout=10).subscription


# Each RPC that names a subscription, called with an id and a caller's metadata.
SubscriptionCall = Callable[
    [billing_pb2_grpc.BillingServiceStub, str, Metadata], billing_pb2.Subscription
]
SUBSCRIPTION_CALLS: dict[str, SubscriptionCall] = {
    "GetSubscription": _get,
    "CancelSubscription now": partial(_cancel, at_period_end=False),
    "CancelSubscription at period end": partial(_cancel, at_period_end=True),
    "ResumeSubscription": _resume,
    "ChangePlan": _change_plan,
}


@pytest.mark.parametrize("call", SUBSCRIPTION_CALLS.values(), ids=SUBSCRIPTION_CALLS)
class TestSubscriptionIds:
    def test_another_payers_subscription_is_not_found_like_a_missing_one(
        self, stub: billing_pb2_grpc.BillingServiceStub, call: SubscriptionCall
    ) -> None:
        """Nothing tells an end user whether another payer's id exists, and
        nothing of it changes."""
        subscription = _paid_subscription()
        make_plan(code="premium", price=Money(149_900, "RUB"))
        stranger = user_metadata(uuid.uuid4())

        with pytest.raises(grpc.RpcError) as others:
            call(stub, str(subscription.id), stranger)
        with pytest.raises(grpc.RpcError) as missing:
            call(stub, str(uuid.uuid4()), stranger)

        assert others.value.code() == grpc.StatusCode.NOT_FOUND
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(others.value) == "subscription_not_found"
        assert error_reason(missing.value) == "subscription_not_found"
        assert others.value.details() == missing.value.details()
        untouched = Subscription.objects.get(id=subscription.id)
        assert untouched.status == SubscriptionStatus.ACTIVE
        assert untouched.cancel_at is None
        assert untouched.plan.code == "monthly"

    def test_a_missing_subscription_is_not_found_for_a_service(
        self, stub: billing_pb2_grpc.BillingServiceStub, call: SubscriptionCall
    ) -> None:
        make_plan(code="premium", price=Money(149_900, "RUB"))
        metadata = service_metadata("billing.read", WRITE)

        with pytest.raises(grpc.RpcError) as raised:
            call(stub, str(uuid.uuid4()), metadata)

        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(raised.value) == "subscription_not_found"

    @pytest.mark.parametrize("subscription_id", ["", "sub_123", "42"])
    def test_a_missing_or_malformed_id_is_an_invalid_argument_naming_it(
        self,
        stub: billing_pb2_grpc.BillingServiceStub,
        call: SubscriptionCall,
        subscription_id: str,
    ) -> None:
        with pytest.raises(grpc.RpcError) as raised:
            call(stub, subscription_id, user_metadata(uuid.uuid4()))

        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(raised.value) == "invalid_argument"
        assert error_info(raised.value).metadata["field"] == "subscription_id"


def test_the_contract_names_every_invoice_status_of_the_domain() -> None:
    """Else a latest invoice in a new status would be sent as UNSPECIFIED."""
    names = billing_pb2.InvoiceStatus.DESCRIPTOR.values_by_name
    assert all(f"INVOICE_STATUS_{status}" in names for status in InvoiceStatus.values)
