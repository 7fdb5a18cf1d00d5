"""BillingService.ListPlans over a real channel."""

from __future__ import annotations

import grpc
import pytest

from billing.money import Money
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from subscriptions.models import Plan
from tests.grpc_api.tokens import service_metadata
from tests.subscriptions.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


class TestListPlans:
    def test_answers_the_active_plans_with_their_current_price(
        self, channel: grpc.Channel
    ) -> None:
        """Each plan on offer, by code, with money as amount_minor and currency."""
        make_plan(
            code="pro-yearly",
            price=Money(1_990_000, "RUB"),
            interval="year",
            trial_days=14,
            gateway="cloudpayments",
        )
        make_plan(code="basic-monthly", price=Money(1999, "USD"), gateway="stripe")
        retired = make_plan(code="retired")
        Plan.objects.filter(pk=retired.pk).update(is_active=False)

        response = billing_pb2_grpc.BillingServiceStub(channel).ListPlans(
            billing_pb2.ListPlansRequest(),
            metadata=service_metadata("billing.read"),
            timeout=10,
        )

        assert [plan.code for plan in response.plans] == [
            "basic-monthly",
            "pro-yearly",
        ]
        basic, pro = response.plans
        assert (basic.amount_minor, basic.currency) == (1999, "USD")
        assert basic.interval == billing_pb2.INTERVAL_MONTH
        assert basic.gateway == billing_pb2.GATEWAY_STRIPE
        assert (pro.amount_minor, pro.currency) == (1_990_000, "RUB")
        assert (pro.interval, pro.interval_count) == (billing_pb2.INTERVAL_YEAR, 1)
        assert pro.trial_days == 14
        assert pro.gateway == billing_pb2.GATEWAY_CLOUDPAYMENTS

    def test_names_a_gateway_outside_the_contract_unspecified(
        self, channel: grpc.Channel
    ) -> None:
        """The test suite's fake gateway has no contract value: the zero is sent."""
        make_plan(code="on-the-fake-gateway", gateway="fake")

        response = billing_pb2_grpc.BillingServiceStub(channel).ListPlans(
            billing_pb2.ListPlansRequest(),
            metadata=service_metadata("billing.read"),
            timeout=10,
        )

        (plan,) = response.plans
        assert plan.gateway == billing_pb2.GATEWAY_UNSPECIFIED
