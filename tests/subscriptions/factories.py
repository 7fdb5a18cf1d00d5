"""Plans and subscriptions made through the services, on the in-memory gateway.

`create_plan` writes a plan with its first price, and `subscribe` a subscription
with its first invoice and payment (or its trial's card check): the factories build
through them, so every row they make is one the product could have made.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import factory

from billing.money import Money
from subscriptions.models import Plan, PlanPrice, Subscription
from subscriptions.services import StartedSubscription, create_plan, subscribe

START = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
ACTOR = "system:test"
MONTHLY_PRICE = Money(99_900, "RUB")
CARD_PAYLOAD = "sbx1:cryptogram"


class PlanFactory(factory.Factory[Plan]):
    """A plan on offer, with its first price (`PlanFactory(price=Money(...))`)."""

    class Meta:
        model = Plan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda plan: plan.code.replace("-", " ").title())
    price = MONTHLY_PRICE
    interval = "month"
    interval_count = 1
    trial_days = 0
    gateway = "fake"
    now = START - dt.timedelta(days=30)
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type[Plan], *args: Any, **kwargs: Any) -> Plan:
        return create_plan(**kwargs)


class PlanPriceFactory(factory.django.DjangoModelFactory[PlanPrice]):
    """A price in a plan's history (not its current one unless set so)."""

    class Meta:
        model = PlanPrice

    plan = factory.SubFactory(PlanFactory)
    amount_minor = 129_900
    currency = "RUB"
    created_at = START
    created_by = ACTOR


class _NewSubscriberFactory(factory.Factory[Any]):
    """What `subscribe` is told for a new payer with a card just entered."""

    class Meta:
        abstract = True

    plan = factory.SubFactory(PlanFactory)
    payer_id = factory.LazyFunction(uuid.uuid4)
    now = START
    actor = ACTOR
    card_payload = CARD_PAYLOAD
    with_trial = True
    time_zone = "UTC"
    return_url = "https://shop.example/3ds"


class StartedSubscriptionFactory(
    _NewSubscriberFactory, factory.Factory[StartedSubscription]
):
    """What `subscribe` returns: the subscription, its first invoice and payment."""

    class Meta:
        model = StartedSubscription

    @classmethod
    def _create(
        cls, model_class: type[StartedSubscription], *args: Any, **kwargs: Any
    ) -> StartedSubscription:
        return _subscribe(**kwargs)


class SubscriptionFactory(_NewSubscriberFactory, factory.Factory[Subscription]):
    """A subscription with its first invoice paid (or its trial started)."""

    class Meta:
        model = Subscription

    @classmethod
    def _create(
        cls, model_class: type[Subscription], *args: Any, **kwargs: Any
    ) -> Subscription:
        return _subscribe(**kwargs).subscription


def _subscribe(*, plan: Plan, **options: Any) -> StartedSubscription:
    return subscribe(plan_code=plan.code, **options)


def make_plan(
    *,
    code: str = "monthly",
    price: Money = MONTHLY_PRICE,
    interval: str = "month",
    interval_count: int = 1,
    trial_days: int = 0,
    gateway: str = "fake",
    name: str | None = None,
) -> Plan:
    return PlanFactory.create(
        code=code,
        name=name or code.replace("-", " ").title(),
        price=price,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
        gateway=gateway,
    )


def subscribe_with_card(
    plan: Plan,
    *,
    now: dt.datetime = START,
    payer_id: uuid.UUID | None = None,
    with_trial: bool = True,
    time_zone: str = "UTC",
) -> StartedSubscription:
    return StartedSubscriptionFactory.create(
        plan=plan,
        now=now,
        payer_id=payer_id or uuid.uuid4(),
        with_trial=with_trial,
        time_zone=time_zone,
    )
