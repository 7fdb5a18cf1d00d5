"""Plans and subscriptions made through the services, on the in-memory gateway."""

from __future__ import annotations

import datetime as dt
import uuid

from billing.money import Money
from subscriptions.models import Plan
from subscriptions.services import StartedSubscription, create_plan, subscribe

START = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
ACTOR = "system:test"
MONTHLY_PRICE = Money(99_900, "RUB")


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
    return create_plan(
        code=code,
        name=name or code.replace("-", " ").title(),
        price=price,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
        gateway=gateway,
        now=START - dt.timedelta(days=30),
        actor=ACTOR,
    )


def subscribe_with_card(
    plan: Plan,
    *,
    now: dt.datetime = START,
    payer_id: uuid.UUID | None = None,
    with_trial: bool = True,
    time_zone: str = "UTC",
) -> StartedSubscription:
    return subscribe(
        payer_id=payer_id or uuid.uuid4(),
        plan_code=plan.code,
        now=now,
        actor=ACTOR,
        card_payload="sbx1:cryptogram",
        with_trial=with_trial,
        time_zone=time_zone,
        return_url="https://shop.example/3ds",
    )
