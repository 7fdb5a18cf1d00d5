"""The invoice of an upgrade: the unused time of the old plan credited, the new
plan charged (prorated over the rest of the period, or for a new period of another
length), and a credit larger than the charge kept for the next invoices.

The charge line names the price it bills (`plan_price:<id>` in its source), so that
the plan can be switched once the invoice is paid, whoever learns of the payment.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from billing.models import (
    BillingReason,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    LedgerAccount,
)
from billing.money import Money
from billing.services import (
    InvoiceDraft,
    LineDraft,
    Posting,
    issue_invoice,
    post_to_ledger,
)
from subscriptions.models import Plan, PlanPrice, Subscription
from subscriptions.periods import Period, plan_change_amounts, prorate
from subscriptions.services._billing_periods import first_period

_PRICE_SOURCE: Final = "plan_price:"


def issue_upgrade_invoice(
    subscription: Subscription,
    plan: Plan,
    price: PlanPrice,
    *,
    now: dt.datetime,
    actor: str,
) -> Invoice:
    """Issue the invoice that moves `subscription` up to `plan` at `price` now."""
    old = subscription.price
    source_old, source_new = f"{_PRICE_SOURCE}{old.id}", f"{_PRICE_SOURCE}{price.id}"
    current = subscription.current_period
    if plan.cycle == subscription.plan.cycle:
        period = Period(now, current.ends_at)
        amounts = plan_change_amounts(old.amount, price.amount, period=current, at=now)
        credit, charge = amounts.credit, amounts.charge
        charge_kind = InvoiceLineKind.PRORATION_CHARGE
    else:
        period = first_period(now, plan.cycle, time_zone=subscription.time_zone)
        credit = prorate(old.amount, period=current, from_moment=now)
        charge = price.amount
        charge_kind = InvoiceLineKind.PLAN
    carried = max(credit - charge, Money(0, credit.currency))
    lines = [
        LineDraft(
            kind=InvoiceLineKind.PRORATION_CREDIT,
            description=f"Unused time on {subscription.plan.name}",
            amount=-(credit - carried),
            period_starts_at=now,
            period_ends_at=current.ends_at,
            source=source_old,
        ),
        LineDraft(
            kind=charge_kind,
            description=f"{plan.name} from {now:%Y-%m-%d} to {period.ends_at:%Y-%m-%d}",
            amount=charge,
            period_starts_at=period.starts_at,
            period_ends_at=period.ends_at,
            source=source_new,
        ),
    ]
    invoice = issue_invoice(
        InvoiceDraft(
            payer_id=subscription.payer_id,
            currency=price.currency,
            billing_reason=BillingReason.SUBSCRIPTION_UPDATE,
            lines=lines,
            description=f"Change from {subscription.plan.name} to {plan.name}",
            subscription_id=subscription.id,
            period_starts_at=period.starts_at,
            period_ends_at=period.ends_at,
        ),
        now=now,
        actor=actor,
    )
    if carried.amount_minor:
        _carry_credit(subscription, invoice, carried, now=now)
    return invoice


def _carry_credit(
    subscription: Subscription, invoice: Invoice, credit: Money, *, now: dt.datetime
) -> None:
    """Keep for the next invoices the part of a credit larger than the new price."""
    subscription.credit_minor += credit.amount_minor
    subscription.save(update_fields=["credit_minor"])
    post_to_ledger(
        [
            Posting.transfer(
                f"invoice:{invoice.id}:credit_carried",
                credit,
                debit=LedgerAccount.REVENUE,
                credit=LedgerAccount.CUSTOMER_CREDIT,
                at=now,
                payer_id=subscription.payer_id,
                memo=f"unused time kept as credit for subscription {subscription.id}",
            )
        ]
    )


def price_billed(invoice: Invoice) -> PlanPrice:
    """The new price an upgrade invoice billed (its charge line names it)."""
    line = (
        InvoiceLine.objects.filter(
            invoice=invoice,
            kind__in=(InvoiceLineKind.PRORATION_CHARGE, InvoiceLineKind.PLAN),
            source__startswith=_PRICE_SOURCE,
        )
        .order_by("id")
        .first()
    )
    assert line is not None, "an upgrade invoice names the price it bills"
    return PlanPrice.objects.select_related("plan").get(
        id=int(line.source.removeprefix(_PRICE_SOURCE))
    )
