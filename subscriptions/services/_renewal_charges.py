"""The charges of a claimed batch: each period's invoice issued once, a PENDING
payment saved for it before the gateway is called, and the charge sent."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Final

from billing.models import (
    PERIOD_REASONS,
    BillingReason,
    Invoice,
    InvoiceStatus,
)
from billing.services import InvoiceDraft, issue_invoices
from payments.gateways.throttle import GatewayThrottle
from payments.models import Payment, PaymentKind, PaymentMethod, PaymentStatus
from payments.selectors import (
    default_payment_methods,
    live_payments_for,
    payment_counts_for,
)
from payments.services import (
    GatewayAnswer,
    SavedCardCharge,
    charge_prepared_payment,
    prepare_saved_card_payments,
)
from subscriptions.models import Plan, PlanPrice, Subscription, SubscriptionStatus
from subscriptions.periods import Period
from subscriptions.services._period_invoices import period_invoice_draft
from subscriptions.services._renewal_context import (
    RENEWAL_ACTOR,
    PreparedCharge,
    RenewalRun,
)
from subscriptions.services._renewal_outcomes import (
    apply_outcome,
    end_unpaid,
    expire_incomplete,
    wait,
)

logger = logging.getLogger(__name__)

# A PENDING payment this young is sent again with its key; an older one is the
# janitor's (it turns PENDING payments older than 15 minutes UNKNOWN and asks).
RESEND_WITHIN: Final = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class RenewalTarget:
    """A claimed subscription and the period whose invoice it is to pay."""

    subscription: Subscription
    period: Period
    plan: Plan
    price: PlanPrice


def prepare_charges(
    run: RenewalRun, targets: list[RenewalTarget]
) -> list[PreparedCharge]:
    """Issue the targets' invoices and save their payments, a statement per table
    for the whole batch; settle at once what needs no charge."""
    invoices = _period_invoices(targets)
    live = live_payments_for(pays=[i.pays_reference for i in invoices.values()])
    counts = payment_counts_for(pays=[i.pays_reference for i in invoices.values()])
    methods = default_payment_methods(
        payer_ids={t.subscription.payer_id for t in targets}, gateway=run.gateway
    )
    charges: list[PreparedCharge] = []
    to_issue: list[RenewalTarget] = []
    to_charge: list[tuple[RenewalTarget, Invoice, PaymentMethod, int]] = []
    for target in targets:
        subscription = target.subscription
        invoice = invoices.get((subscription.id, target.period.starts_at))
        if invoice is None:
            if subscription.status == SubscriptionStatus.INCOMPLETE:
                expire_incomplete(run, subscription, None)
            else:
                to_issue.append(target)
            continue
        if not _still_to_charge(run, subscription, invoice, live):
            continue
        if live.get(invoice.pays_reference) is not None:
            charges.append(_resend(subscription, invoice, live))
            continue
        method = card_for(subscription, methods)
        if method is None:
            apply_outcome(run, subscription, invoice, None)
            continue
        attempt = counts.get(invoice.pays_reference, 0) + 1
        to_charge.append((target, invoice, method, attempt))
    for target, invoice in zip(to_issue, _issue(run, to_issue), strict=True):
        method = card_for(target.subscription, methods)
        if invoice.status == InvoiceStatus.PAID or method is None:
            apply_outcome(run, target.subscription, invoice, None)
        else:
            to_charge.append((target, invoice, method, 1))
    return charges + _prepare_payments(run, to_charge)


def send_charge(
    run: RenewalRun, charge: PreparedCharge, throttle: GatewayThrottle
) -> GatewayAnswer | None:
    """Send one charge (outside any transaction); its answer, None on a failure.

    Never raises: the payment is saved with its key, so a later run resends it
    or the janitor settles it; one failure must not stop the others.
    """
    try:
        with throttle.slot():
            answer = charge_prepared_payment(charge.payment)
    except Exception:
        run.report.count("errors")
        logger.exception("Unable to send a renewal charge", extra=charge.log_extra())
        return None
    run.report.count("charged")
    return answer


def _still_to_charge(
    run: RenewalRun,
    subscription: Subscription,
    invoice: Invoice,
    live: dict[str, Payment],
) -> bool:
    """Settle what the invoice and its payment already say; True if a charge is
    still to be sent (a new one, or a young PENDING one again)."""
    now = run.now_for(subscription.payer_id)
    if subscription.status == SubscriptionStatus.INCOMPLETE:
        expire_incomplete(run, subscription, invoice)
        return False
    if subscription.status == SubscriptionStatus.PAST_DUE and (
        subscription.needs_new_payment_method or subscription.next_retry_at is None
    ):
        end_unpaid(run, subscription, invoice, now=now)
        return False
    if invoice.status == InvoiceStatus.PAID:
        apply_outcome(run, subscription, invoice, None)
        return False
    if invoice.status != InvoiceStatus.OPEN:
        logger.warning(
            "subscription.renewal.invoice_not_open",
            extra={"subscription": str(subscription.id), "invoice": invoice.id},
        )
        wait(run, subscription, now=now)
        return False
    payment = live.get(invoice.pays_reference)
    if payment is None:
        return True
    if payment.status == PaymentStatus.SUCCEEDED:
        apply_outcome(run, subscription, invoice, payment)
        return False
    if (
        payment.status == PaymentStatus.PENDING
        and payment.created_at >= now - RESEND_WITHIN
    ):
        return True
    wait(run, subscription, now=now)
    return False


def _resend(
    subscription: Subscription, invoice: Invoice, live: dict[str, Payment]
) -> PreparedCharge:
    payment = live[invoice.pays_reference]
    logger.info(
        "subscription.renewal.resending",
        extra={"subscription": str(subscription.id), "payment": str(payment.id)},
    )
    return PreparedCharge(subscription.id, subscription.payer_id, invoice, payment)


def _issue(run: RenewalRun, targets: list[RenewalTarget]) -> list[Invoice]:
    drafts = [period_draft(target) for target in targets]
    now = run.clock()
    for target in targets:
        credit = credit_used(target)
        if credit:
            # The row and the claimed copy both: a zero invoice saves the copy.
            target.subscription.credit_minor -= credit
            Subscription.objects.filter(id=target.subscription.id).update(
                credit_minor=target.subscription.credit_minor
            )
    return issue_invoices(drafts, now=now, actor=RENEWAL_ACTOR)


def _prepare_payments(
    run: RenewalRun,
    to_charge: list[tuple[RenewalTarget, Invoice, PaymentMethod, int]],
) -> list[PreparedCharge]:
    charges = [
        SavedCardCharge(
            payment_method=method,
            amount=invoice.amount_due,
            pays=invoice.pays_reference,
            description=invoice.description,
            kind=PaymentKind.RECURRING,
            attempt=attempt,
        )
        for _, invoice, method, attempt in to_charge
    ]
    payments = prepare_saved_card_payments(charges, now=run.clock())
    return [
        PreparedCharge(target.subscription.id, target.subscription.payer_id, inv, paid)
        for (target, inv, _, _), paid in zip(to_charge, payments, strict=True)
    ]


def _period_invoices(
    targets: list[RenewalTarget],
) -> dict[tuple[uuid.UUID, dt.datetime], Invoice]:
    """The invoices issued for the targets' periods, by (subscription, start)."""
    if not targets:
        return {}
    invoices = Invoice.objects.filter(
        subscription_id__in=[t.subscription.id for t in targets],
        period_starts_at__in=[t.period.starts_at for t in targets],
        billing_reason__in=PERIOD_REASONS,
    )
    return {(i.subscription_id, i.period_starts_at): i for i in invoices}  # type: ignore[misc]


def card_for(
    subscription: Subscription, defaults: dict[uuid.UUID, PaymentMethod]
) -> PaymentMethod | None:
    """The subscription's own card if it can be charged, else the payer's default."""
    method = subscription.payment_method
    if (
        method is not None
        and method.is_usable
        and method.gateway == subscription.gateway
    ):
        return method
    return defaults.get(subscription.payer_id)


def credit_used(target: RenewalTarget) -> int:
    return min(target.subscription.credit_minor, target.price.amount_minor)


def period_draft(target: RenewalTarget) -> InvoiceDraft:
    reason = (
        BillingReason.SUBSCRIPTION_CREATE
        if target.subscription.status == SubscriptionStatus.INCOMPLETE
        else BillingReason.SUBSCRIPTION_CYCLE
    )
    return period_invoice_draft(
        target.subscription,
        target.period,
        target.plan,
        target.price,
        reason=reason,
        credit_minor=credit_used(target),
    )
