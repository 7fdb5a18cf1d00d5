"""What the renewal run makes of a claimed subscription: the gateway's answers
applied with their outcomes, a subscription left to wait, ended or expired."""

from __future__ import annotations

import datetime as dt
import logging

from billing import outbox
from billing.models import Invoice, InvoiceStatus
from billing.services import void_invoice
from payments.models import Payment
from payments.selectors import live_payments_for
from payments.services import GatewayAnswer, apply_gateway_answer
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services._charge_outcomes import (
    RECHECK_AFTER,
    Outcome,
    apply_invoice_outcome,
    end_dunning,
)
from subscriptions.services._renewal_context import (
    RENEWAL_ACTOR,
    PreparedCharge,
    RenewalRun,
)
from subscriptions.services._subscription_history import move_subscription

logger = logging.getLogger(__name__)


def settle_answers(
    run: RenewalRun, answered: list[tuple[PreparedCharge, GatewayAnswer]]
) -> None:
    """Apply answers, each with its subscription's outcome, in one transaction.

    A group that fails (a conflict with another process, say) is rolled back
    whole and applied again one answer at a time, so that one failure holds up
    nobody else. Never raises, like `send_charge`: what failed is left to a later
    run or the janitor.
    """
    if len(answered) > 1:
        try:
            _settle_together(run, answered)
            return
        except Exception:
            logger.exception("Unable to settle renewals together; one by one")
    for one in answered:
        try:
            _settle_together(run, [one])
        except Exception:
            run.report.count("errors")
            logger.exception("Unable to settle a renewal", extra=one[0].log_extra())


def _settle_together(
    run: RenewalRun, answered: list[tuple[PreparedCharge, GatewayAnswer]]
) -> None:
    outcomes: list[Outcome] = []
    with outbox.atomic():
        # One statement locks the group's subscriptions, in a fixed order.
        locked = {
            subscription.id: subscription
            for subscription in Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "scheduled_plan")
            .filter(id__in={charge.subscription_id for charge, _ in answered})
            .order_by("id")
        }
        payments = [
            (
                charge,
                apply_gateway_answer(
                    payment_id=charge.payment.id,
                    answer=answer,
                    now=run.now_for(charge.payer_id),
                    actor=RENEWAL_ACTOR,
                ),
            )
            for charge, answer in answered
        ]
        # Read again in one query: the answers have paid some of them.
        invoices = Invoice.objects.in_bulk(
            [charge.invoice.id for charge, _ in answered]
        )
        for charge, payment in payments:
            subscription = locked[charge.subscription_id]
            if subscription.is_live:
                invoice = invoices[charge.invoice.id]
                outcomes.append(_outcome_of(run, subscription, invoice, payment))
    # Counted once committed: a group rolled back is applied again one by one.
    for outcome in outcomes:
        run.report.count(outcome.value)


def apply_outcome(
    run: RenewalRun,
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
) -> None:
    """Bring the subscription in line with its invoice (and payment), and count it."""
    run.report.count(_outcome_of(run, subscription, invoice, payment).value)


def _outcome_of(
    run: RenewalRun,
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
) -> Outcome:
    # Only the run that claimed a subscription releases its claim; news from
    # elsewhere (a webhook) leaves a claim alone, for this run to release.
    subscription.claimed_by = None
    return apply_invoice_outcome(
        subscription,
        invoice,
        payment,
        now=run.now_for(subscription.payer_id),
        actor=RENEWAL_ACTOR,
        policy=run.policy,
    )


def wait(run: RenewalRun, subscription: Subscription, *, now: dt.datetime) -> None:
    """Look again later: a payment is in flight, or a person must decide."""
    subscription.due_at = now + RECHECK_AFTER
    subscription.claimed_by = None
    subscription.save(update_fields=["due_at", "claimed_by"])
    run.report.count("waiting")


def end_scheduled(
    run: RenewalRun, subscription: Subscription, *, now: dt.datetime
) -> None:
    """A cancellation at period end: the period is over, nothing is charged."""
    subscription.due_at = None
    subscription.claimed_by = None
    subscription.next_retry_at = None
    move_subscription(
        subscription,
        SubscriptionStatus.CANCELED,
        at=now,
        actor=RENEWAL_ACTOR,
        reason=subscription.cancel_reason or "canceled at period end",
    )
    subscription.save()
    run.report.count("canceled")


def end_unpaid(
    run: RenewalRun,
    subscription: Subscription,
    invoice: Invoice | None,
    *,
    now: dt.datetime,
) -> None:
    """No new card came within the grace of dunning: end it, write off."""
    subscription.claimed_by = None
    end_dunning(
        subscription,
        invoice,
        now=now,
        actor=RENEWAL_ACTOR,
        policy=run.policy,
        reason="no new card within the grace period",
    )
    subscription.save()
    run.report.count("ended")


def expire_incomplete(
    run: RenewalRun, subscription: Subscription, invoice: Invoice | None
) -> None:
    """The first payment never completed in time: the subscription expires."""
    now = run.now_for(subscription.payer_id)
    if invoice is not None and invoice.status == InvoiceStatus.PAID:
        apply_outcome(run, subscription, invoice, None)
        return
    live = (live_payments_for(pays=[invoice.pays_reference]) if invoice else {}).get(
        invoice.pays_reference if invoice else ""
    )
    if live is not None:
        # Its outcome is still coming (the janitor asks the gateway).
        wait(run, subscription, now=now)
        return
    if invoice is not None:
        # No payment is left that could pay it.
        void_invoice(
            invoice_id=invoice.id,
            at=now,
            actor=RENEWAL_ACTOR,
            reason="first payment not completed",
        )
    subscription.due_at = None
    subscription.claimed_by = None
    move_subscription(
        subscription,
        SubscriptionStatus.EXPIRED,
        at=now,
        actor=RENEWAL_ACTOR,
        reason="first payment not completed",
    )
    subscription.save()
    run.report.count("ended")
