"""Plans: created with a price, repriced without touching existing subscribers."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.events import record_event
from billing.money import Money
from payments.selectors import gateway_is_configured
from subscriptions.models import LIVE_STATUSES, Plan, PlanPrice, Subscription
from subscriptions.periods import Interval


class PlanNotFound(NotFound):
    """No such plan."""

    code = "plan_not_found"


class PlanInactive(DomainError):
    """The plan is no longer offered."""

    code = "plan_inactive"


class DuplicatePlan(Conflict):
    """A plan with this code exists already."""

    code = "duplicate_plan"


class InvalidPlan(DomainError):
    """The plan's settings are not valid."""

    code = "invalid_plan"


def create_plan(
    *,
    code: str,
    name: str,
    price: Money,
    interval: str,
    gateway: str,
    now: dt.datetime,
    actor: str,
    interval_count: int = 1,
    trial_days: int = 0,
    description: str = "",
) -> Plan:
    """Offer a new plan at `price` every `interval_count` `interval`s.

    :raises InvalidPlan: for an unknown interval or gateway, or a price of zero.
    :raises DuplicatePlan: when the code is taken.
    """
    _require_valid(price, interval, interval_count, trial_days, gateway)
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                code=code,
                name=name,
                description=description,
                interval=interval,
                interval_count=interval_count,
                trial_days=trial_days,
                gateway=gateway,
                created_at=now,
                updated_at=now,
            )
            _set_price(plan, price, now=now, actor=actor, note="created")
    except IntegrityError as exc:
        raise DuplicatePlan(extra={"code": code}) from exc
    return plan


def change_plan_price(
    *, plan_id: int, price: Money, now: dt.datetime, actor: str, note: str = ""
) -> PlanPrice:
    """Charge new subscribers `price`; existing ones keep theirs until migrated.

    :raises PlanNotFound:
    :raises InvalidPlan: for a price of zero or in another currency than the plan's.
    """
    with transaction.atomic():
        plan = _locked(plan_id)
        _require_valid(
            price, plan.interval, plan.interval_count, plan.trial_days, plan.gateway
        )
        current = plan.current_price
        if current is not None and current.currency != price.currency:
            # Subscribers migrated to it would change currency mid-subscription.
            raise InvalidPlan(
                f"The plan is priced in {current.currency}; make a new plan for"
                f" {price.currency}.",
                extra={"fields": {"price": "the plan's currency"}},
            )
        return _set_price(plan, price, now=now, actor=actor, note=note)


def migrate_subscribers_to_current_price(
    *, plan_id: int, now: dt.datetime, actor: str
) -> int:
    """Move the plan's live subscribers to its current price; return how many.

    The new price applies from each subscriber's next invoice on: an invoice
    already issued keeps the amount it was issued for.

    :raises PlanNotFound:
    """
    with transaction.atomic():
        plan = _locked(plan_id)
        moved = (
            Subscription.objects.filter(plan=plan, status__in=LIVE_STATUSES)
            .exclude(price_id=plan.current_price_id)
            .update(price_id=plan.current_price_id, updated_at=now)
        )
        record_event(
            type="plan.subscribers_migrated",
            occurred_at=now,
            payload={
                "plan_id": plan.id,
                "plan_code": plan.code,
                "price_id": plan.current_price_id,
                "subscriptions": moved,
                "actor": actor,
            },
        )
    return moved


def set_plan_active(
    *, plan_id: int, active: bool, now: dt.datetime, actor: str
) -> Plan:
    """Offer the plan to new subscribers, or stop; existing ones are not touched.

    :raises PlanNotFound:
    """
    with transaction.atomic():
        plan = _locked(plan_id)
        if plan.is_active == active:
            return plan
        plan.is_active = active
        plan.updated_at = now
        plan.save(update_fields=["is_active", "updated_at"])
        record_event(
            type="plan.activated" if active else "plan.deactivated",
            occurred_at=now,
            payload={"plan_id": plan.id, "plan_code": plan.code, "actor": actor},
        )
    return plan


def active_plan(code: str) -> Plan:
    """The plan offered under `code`, with its current price.

    :raises PlanNotFound, PlanInactive:
    """
    plan = Plan.objects.select_related("current_price").filter(code=code).first()
    if plan is None:
        raise PlanNotFound(extra={"plan": code})
    if not plan.is_active or plan.current_price is None:
        raise PlanInactive(extra={"plan": code})
    return plan


def _set_price(
    plan: Plan, price: Money, *, now: dt.datetime, actor: str, note: str
) -> PlanPrice:
    plan_price = PlanPrice.objects.create(
        plan=plan,
        amount_minor=price.amount_minor,
        currency=price.currency,
        created_at=now,
        created_by=actor[:100],
        note=note[:200],
    )
    plan.current_price = plan_price
    plan.updated_at = now
    plan.save(update_fields=["current_price", "updated_at"])
    record_event(
        type="plan.price_changed",
        occurred_at=now,
        payload={
            "plan_id": plan.id,
            "plan_code": plan.code,
            "price_id": plan_price.id,
            "amount_minor": price.amount_minor,
            "currency": price.currency,
            "actor": actor,
        },
    )
    return plan_price


def _require_valid(
    price: Money, interval: str, interval_count: int, trial_days: int, gateway: str
) -> None:
    problems: dict[str, object] = {}
    if price.amount_minor <= 0:
        problems["price"] = "must be more than zero"
    if interval not in {i.value for i in Interval}:
        problems["interval"] = f"one of {', '.join(i.value for i in Interval)}"
    if not 1 <= interval_count <= 366:
        problems["interval_count"] = "from 1 to 366"
    if not 0 <= trial_days <= 730:
        problems["trial_days"] = "from 0 to 730"
    if not gateway_is_configured(code=gateway):
        problems["gateway"] = "not a configured gateway"
    if problems:
        raise InvalidPlan(extra={"fields": problems})


def _locked(plan_id: int) -> Plan:
    plan = Plan.objects.select_for_update().filter(id=plan_id).first()
    if plan is None:
        raise PlanNotFound(extra={"plan": plan_id})
    return plan
