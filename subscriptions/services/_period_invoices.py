"""The invoice of a subscription's period: its plan's price for the period, less
any credit the subscription holds (the first invoice and every renewal)."""

from __future__ import annotations

from billing.models import BillingReason, InvoiceLineKind
from billing.money import Money
from billing.services import InvoiceDraft, LineDraft
from subscriptions.models import Plan, PlanPrice, Subscription
from subscriptions.periods import Period


def period_invoice_draft(
    subscription: Subscription,
    period: Period,
    plan: Plan,
    price: PlanPrice,
    *,
    reason: BillingReason,
    credit_minor: int = 0,
) -> InvoiceDraft:
    """The draft billing `price` of `plan` for `period`, less `credit_minor`."""
    description = (
        f"{plan.name}, {period.starts_at:%Y-%m-%d} to {period.ends_at:%Y-%m-%d}"
    )
    lines = [
        LineDraft(
            kind=InvoiceLineKind.PLAN,
            description=description,
            amount=price.amount,
            period_starts_at=period.starts_at,
            period_ends_at=period.ends_at,
            source=f"plan_price:{price.id}",
        )
    ]
    if credit_minor:
        lines.append(
            LineDraft(
                kind=InvoiceLineKind.CREDIT,
                description="Credit from an earlier plan change",
                amount=-Money(credit_minor, price.currency),
            )
        )
    return InvoiceDraft(
        payer_id=subscription.payer_id,
        currency=price.currency,
        billing_reason=reason,
        lines=lines,
        description=description,
        subscription_id=subscription.id,
        period_starts_at=period.starts_at,
        period_ends_at=period.ends_at,
    )
