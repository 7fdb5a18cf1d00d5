"""The shop's gRPC calls to billing: billing's refusals and outages in the port's
terms, over a real channel to a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.test.utils import override_settings

from grpc_api.server import GrpcServer
from snacks.billing_calls import BillingRefused, BillingUnavailable, Hold, NoSavedCard
from snacks.billing_grpc import GrpcBillingCalls
from tests.journeys.shop import billing_for_the_shop

# The server's threads read committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def billing() -> Iterator[GrpcServer]:
    with billing_for_the_shop() as server:
        yield server


def _hold() -> Hold:
    order = uuid.uuid4()
    return Hold(
        payer_id=uuid.uuid4(),
        amount_minor=4_500,
        currency="RUB",
        reference=f"order:{order}",
        description="Snack order",
        idempotency_key=f"order-hold:{order}:1",
    )


@pytest.mark.usefixtures("billing")
class TestRefusals:
    def test_a_payer_without_a_saved_card_is_told_apart(self) -> None:
        with pytest.raises(NoSavedCard) as refused:
            GrpcBillingCalls().authorize(_hold())

        assert refused.value.extra["reason"] == "no_usable_payment_method"

    def test_another_refusal_carries_billings_code(self) -> None:
        with pytest.raises(BillingRefused) as refused:
            GrpcBillingCalls().capture(
                payment_id=uuid.uuid4(), idempotency_key="order-capture:1"
            )

        assert refused.value.extra["reason"] == "payment_not_found"
        assert not isinstance(refused.value, NoSavedCard)


def test_an_unreachable_billing_is_unavailable(billing: GrpcServer) -> None:
    billing.stop(grace=0)

    with (
        override_settings(SHOP_BILLING_TIMEOUT_SECONDS=1.0),
        pytest.raises(BillingUnavailable),
    ):
        GrpcBillingCalls().void(payment_id=uuid.uuid4(), idempotency_key="k")
