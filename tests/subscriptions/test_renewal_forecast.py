"""The renewals forecast: a dry run of a day's renewals that changes nothing and
says what the renewal run then does."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from billing.clock import billing_now
from billing.models import Invoice
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentMethod
from subscriptions.models import Plan, Subscription, SubscriptionStatus
from subscriptions.services import (
    ForecastAction,
    RenewalForecast,
    forecast_renewals,
    renew_due_subscriptions,
)
from tests.subscriptions.factories import make_plan
from tests.subscriptions.scenarios import active, canceling, past_due, paused

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> Plan:
    return make_plan()


def _end_of_day_in(days: int) -> dt.datetime:
    day = (billing_now() + dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def _forecast_at(moment: dt.datetime) -> RenewalForecast:
    return forecast_renewals(day=moment.date(), now=moment)


def _state() -> tuple[object, ...]:
    subscriptions = Subscription.objects.order_by("id").values_list(
        "id", "status", "due_at", "claimed_by", "credit_minor"
    )
    return list(subscriptions), Invoice.objects.count(), Payment.objects.count()


@pytest.mark.usefixtures("fake_gateway")
class TestTheForecast:
    def test_says_what_the_renewal_run_then_does(
        self, fake_gateway: FakeGateway, plan: Plan
    ) -> None:
        renewing, retried, ending = (
            active(plan),
            past_due(fake_gateway, plan),
            canceling(plan),
        )
        untouched = paused(plan)
        moment = _end_of_day_in(25)
        forecast = _forecast_at(moment)
        before = set(Payment.objects.values_list("id", flat=True))

        renew_due_subscriptions(gateway="fake", clock=lambda: moment)

        actions = {line.subscription_id: line.action for line in forecast.lines}
        assert actions == {
            renewing.id: ForecastAction.CHARGE,
            retried.id: ForecastAction.RETRY,
            ending.id: ForecastAction.END,
        }
        invoices = {
            invoice.pays_reference: invoice.subscription_id
            for invoice in Invoice.objects.all()
        }
        charged = {
            invoices[payment.pays]: payment.amount
            for payment in Payment.objects.exclude(id__in=before)
        }
        assert charged == {
            line.subscription_id: line.amount
            for line in forecast.lines
            if line.action in (ForecastAction.CHARGE, ForecastAction.RETRY)
        }
        ending.refresh_from_db()
        untouched.refresh_from_db()
        assert ending.status == SubscriptionStatus.CANCELED
        assert untouched.status == SubscriptionStatus.PAUSED

    def test_changes_nothing(self, fake_gateway: FakeGateway, plan: Plan) -> None:
        active(plan), past_due(fake_gateway, plan), canceling(plan)
        before = _state()

        _forecast_at(_end_of_day_in(25))

        assert _state() == before

    def test_flags_a_card_that_expires_before_the_charge_and_dunning(
        self, fake_gateway: FakeGateway, plan: Plan
    ) -> None:
        renewing, retried = active(plan), past_due(fake_gateway, plan)
        moment = _end_of_day_in(25)
        PaymentMethod.objects.filter(payer_id=renewing.payer_id).update(
            exp_month=billing_now().month, exp_year=billing_now().year
        )

        lines = {line.subscription_id: line for line in _forecast_at(moment).lines}

        expiring = moment.date().replace(day=1) > billing_now().date().replace(day=1)
        assert lines[renewing.id].card_expires_first is expiring
        assert (lines[renewing.id].in_dunning, lines[retried.id].in_dunning) == (
            False,
            True,
        )

    def test_a_day_ahead_leaves_out_what_falls_due_before_it(self, plan: Plan) -> None:
        active(plan)
        day = _end_of_day_in(40).date()

        assert forecast_renewals(day=day, now=billing_now()).lines == []

    def test_totals_what_is_charged_per_gateway_and_currency(
        self, fake_gateway: FakeGateway, plan: Plan
    ) -> None:
        first, second = active(plan), active(plan)
        canceling(plan)

        forecast = _forecast_at(_end_of_day_in(25))

        amounts = {line.amount for line in forecast.lines if line.action == "charge"}
        (amount,) = amounts
        assert amount is not None
        assert forecast.totals() == {("fake", amount.currency): amount + amount}
        assert forecast.counts()[ForecastAction.END] == 1
        assert {first.id, second.id} <= {
            line.subscription_id for line in forecast.lines
        }


@pytest.mark.usefixtures("fake_gateway")
class TestTheCommand:
    def test_prints_each_renewal_and_the_totals(
        self, fake_gateway: FakeGateway, plan: Plan
    ) -> None:
        renewing = active(plan)
        canceling(plan)
        out = io.StringIO()

        assert renewing.due_at is not None
        day = renewing.due_at.date().isoformat()

        call_command("renewals_forecast", "--date", day, stdout=out)

        text = out.getvalue()
        assert str(renewing.id) in text
        assert "In all: 1 charge, 1 end." in text
        assert "to charge on fake in" in text

    def test_refuses_a_bad_date(self) -> None:
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("renewals_forecast", "--date", "07/12/2026")
