"""Plans: created with a price; repriced without touching existing subscribers."""

from __future__ import annotations

import pytest

from billing.models import BillingEvent
from billing.money import Money
from payments.gateways.fake import FakeGateway
from subscriptions.models import PlanPrice, Subscription
from subscriptions.services import (
    DuplicatePlan,
    InvalidPlan,
    PlanNotFound,
    change_plan_price,
    migrate_subscribers_to_current_price,
    renew_due_subscriptions,
    set_plan_active,
)
from tests.subscriptions.factories import (
    ACTOR,
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db

NEW_PRICE = Money(129_900, "RUB")


class TestCreatePlan:
    def test_a_plan_starts_with_its_first_price(self) -> None:
        plan = make_plan()

        assert plan.current_price is not None
        assert plan.current_price.amount == MONTHLY_PRICE
        assert plan.prices.count() == 1

    def test_a_code_is_used_once(self) -> None:
        make_plan()

        with pytest.raises(DuplicatePlan):
            make_plan()

    @pytest.mark.parametrize(
        ("options", "field"),
        [
            ({"price": Money(0, "RUB")}, "price"),
            ({"interval": "fortnight"}, "interval"),
            ({"interval_count": 0}, "interval_count"),
            ({"trial_days": 1000}, "trial_days"),
            ({"gateway": "paypal"}, "gateway"),
        ],
    )
    def test_bad_settings_are_refused_by_name(
        self, options: dict[str, object], field: str
    ) -> None:
        with pytest.raises(InvalidPlan) as error:
            make_plan(**options)  # type: ignore[arg-type]

        assert field in error.value.extra["fields"]  # type: ignore[operator]


class TestChangePlanPrice:
    def test_existing_subscribers_keep_their_price_until_migrated(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()
        subscription = subscribe_with_card(plan).subscription

        change_plan_price(plan_id=plan.id, price=NEW_PRICE, now=START, actor=ACTOR)
        renew_due_subscriptions(
            gateway="fake", clock=lambda: subscription.current_period_ends_at
        )
        moved = migrate_subscribers_to_current_price(
            plan_id=plan.id, now=START, actor=ACTOR
        )
        subscription.refresh_from_db()
        renew_due_subscriptions(
            gateway="fake", clock=lambda: subscription.current_period_ends_at
        )

        charges = [c["request"].amount for c in fake_gateway.calls_to("charge")]
        assert charges == [MONTHLY_PRICE, MONTHLY_PRICE, NEW_PRICE]
        assert moved == 1
        assert list(
            PlanPrice.objects.filter(plan=plan)
            .order_by("id")
            .values_list("amount_minor", flat=True)
        ) == [MONTHLY_PRICE.amount_minor, NEW_PRICE.amount_minor]

    def test_new_subscribers_pay_the_new_price(self, fake_gateway: FakeGateway) -> None:
        plan = make_plan()
        change_plan_price(plan_id=plan.id, price=NEW_PRICE, now=START, actor=ACTOR)

        started = subscribe_with_card(plan)

        assert started.invoice is not None
        assert started.invoice.total == NEW_PRICE
        assert Subscription.objects.get().price.amount == NEW_PRICE

    def test_a_price_in_another_currency_is_refused(self) -> None:
        plan = make_plan()

        with pytest.raises(InvalidPlan):
            change_plan_price(
                plan_id=plan.id, price=Money(999, "USD"), now=START, actor=ACTOR
            )

        assert plan.prices.count() == 1

    def test_taking_a_plan_off_sale_is_recorded(self) -> None:
        plan = make_plan()

        set_plan_active(plan_id=plan.id, active=False, now=START, actor=ACTOR)
        set_plan_active(plan_id=plan.id, active=False, now=START, actor=ACTOR)

        assert (
            list(
                BillingEvent.objects.filter(type__startswith="plan.activ").values_list(
                    "type", flat=True
                )
            )
            == []
        )
        assert BillingEvent.objects.filter(type="plan.deactivated").count() == 1

    def test_an_unknown_plan(self) -> None:
        with pytest.raises(PlanNotFound):
            change_plan_price(plan_id=404, price=NEW_PRICE, now=START, actor=ACTOR)
