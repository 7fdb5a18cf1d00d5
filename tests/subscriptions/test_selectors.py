"""Reads of the subscriptions app."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pytest_django import DjangoAssertNumQueries

from billing.models import InvoiceStatus
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from subscriptions.selectors import subscription_with_latest_invoice
from subscriptions.services import PlanChangePaymentFailed, change_plan
from tests.subscriptions.factories import ACTOR, START, make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db


class TestSubscriptionWithLatestInvoice:
    def test_reads_the_newest_invoices_status_in_one_query(
        self,
        fake_gateway: FakeGateway,
        django_assert_num_queries: DjangoAssertNumQueries,
    ) -> None:
        """A declined upgrade's voided invoice is newer than the paid first one."""
        subscription = subscribe_with_card(make_plan(), with_trial=False).subscription
        make_plan(code="premium", price=Money(149_900, "RUB"))
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        with pytest.raises(PlanChangePaymentFailed):
            change_plan(
                subscription_id=subscription.id,
                plan_code="premium",
                now=START + dt.timedelta(days=3),
                actor=ACTOR,
            )

        with django_assert_num_queries(1):
            found = subscription_with_latest_invoice(subscription_id=subscription.id)
            assert found is not None
            assert found.subscription.price.amount_minor > 0
            assert found.subscription.plan.code == "monthly"

        assert found.latest_invoice_status == InvoiceStatus.VOID

    def test_has_no_invoice_status_before_the_first_invoice(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan(trial_days=14)).subscription

        found = subscription_with_latest_invoice(subscription_id=subscription.id)

        assert found is not None
        assert found.latest_invoice_status is None

    def test_hides_another_payers_subscription(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan(), with_trial=False).subscription

        assert (
            subscription_with_latest_invoice(
                subscription_id=subscription.id, payer_id=uuid.uuid4()
            )
            is None
        )
        assert subscription_with_latest_invoice(
            subscription_id=subscription.id, payer_id=subscription.payer_id
        )
