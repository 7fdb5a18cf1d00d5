"""Subscribing: the first invoice paid with a card, or a trial on a verified card.

A subscription starts INCOMPLETE, with its first invoice, in one transaction; the
card is charged (or, for a trial, verified) after the commit, and the outcome is
applied at once: ACTIVE or TRIALING, EXPIRED when the card is refused, or still
INCOMPLETE while the payer passes 3-D Secure (`complete_subscription_3ds`). An
INCOMPLETE subscription whose first payment never completes expires after
`INCOMPLETE_EXPIRES_AFTER` (the renewal run sees to it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from billing import outbox
from billing.errors import Conflict, DomainError, NotFound
from billing.models import BillingReason, Invoice
from billing.services import KeyTaken, RequestKey, replay_of
from payments.models import CardSetup, Payment, PaymentKind
from payments.selectors import (
    card_setup_for,
    live_payments_for,
    payment_method_is_usable_for,
)
from payments.services import (
    NoUsablePaymentMethod,
    charge_saved_card,
    check_card_payload,
    complete_3ds,
    complete_card_setup_3ds,
    start_card_payment,
    start_card_setup,
)
from subscriptions.models import Plan, Subscription, SubscriptionStatus
from subscriptions.services._billing_periods import zone_named
from subscriptions.services._charge_outcomes import (
    DunningPolicy,
    apply_card_setup_outcome,
    apply_invoice_outcome,
)
from subscriptions.services._plans import active_plan
from subscriptions.services._subscription_opening import (
    AlreadySubscribed,
    card_check_purpose,
    open_subscription,
    subscription_of_result,
    verification_amount,
)


class InvalidSubscriptionRequest(DomainError):
    """The subscription cannot be started as asked."""

    code = "invalid_subscription_request"


class SubscriptionNotFound(NotFound):
    """No such subscription."""

    code = "subscription_not_found"


class NothingToComplete(Conflict):
    """The subscription is not waiting for 3-D Secure."""

    code = "nothing_to_complete"


@dataclass(frozen=True, slots=True)
class StartedSubscription:
    """A subscription just started, with what started it."""

    subscription: Subscription
    # The first invoice and its payment (None with a trial).
    invoice: Invoice | None = None
    payment: Payment | None = None
    # The trial's card check (None without a trial, or with a saved card).
    card_setup: CardSetup | None = None

    @property
    def pending_step(self) -> Payment | CardSetup | None:
        """The payment or card check waiting for the payer's 3-D Secure step."""
        for step in (self.payment, self.card_setup):
            if step is not None and step.status == "REQUIRES_ACTION" and step.action:
                return step
        return None

    @property
    def action(self) -> dict[str, Any] | None:
        """The 3-D Secure challenge to show the payer, while there is one."""
        step = self.pending_step
        return dict(step.action) if step is not None and step.action else None


def subscribe(
    *,
    payer_id: uuid.UUID,
    plan_code: str,
    now: dt.datetime,
    actor: str,
    card_payload: str | None = None,
    payment_method_id: uuid.UUID | None = None,
    with_trial: bool = True,
    time_zone: str = "UTC",
    ip_address: str | None = None,
    return_url: str | None = None,
    cardholder_name: str | None = None,
    card_gateway: str | None = None,
    request_key: RequestKey | None = None,
) -> StartedSubscription:
    """Subscribe a payer to a plan with a card just entered or one saved before.

    `card_payload` is the CloudPayments cryptogram or the Stripe PaymentMethod id
    from the gateway's widget; `card_gateway`, when the caller knows it, names the
    gateway whose widget made it. A plan's trial (unless `with_trial` is False)
    needs no payment, only a verified card: a new card is checked without charging
    it, a saved one was checked when it was saved.

    With a caller's `request_key`, a request seen before is answered with the
    subscription it opened, as it stands now (with its 3-D Secure step while one
    is waiting), and nothing is done again.

    :raises DuplicateRequest: when `request_key` was used for another request.
    :raises InvalidSubscriptionRequest: unless exactly one card is given.
    :raises CardPayloadRefused: for an entered card that is not of the plan's
        gateway (nor of `card_gateway`), before anything is saved.
    :raises PlanNotFound, PlanInactive: for a plan not offered.
    :raises UnknownTimeZone: for a time zone that is not an IANA name.
    :raises NoUsablePaymentMethod: for a saved card that cannot be charged.
    :raises AlreadySubscribed: when the payer has a live subscription to the plan.
    """
    replayed = _replay(request_key)
    if replayed is not None:
        return replayed
    if (card_payload is None) == (payment_method_id is None):
        raise InvalidSubscriptionRequest(
            "Give either a card just entered or a saved card.",
            extra={"fields": ["card_payload", "payment_method_id"]},
        )
    plan = active_plan(plan_code)
    zone_named(time_zone)
    if card_payload is not None:
        # Refused here, before the subscription opens, not by the payment after it.
        for gateway in dict.fromkeys((plan.gateway, card_gateway or plan.gateway)):
            check_card_payload(
                card_payload,
                gateway=gateway,
                sandbox=settings.CHECKOUT_SANDBOX_PAYLOADS,
            )
    if payment_method_id is not None and not payment_method_is_usable_for(
        payment_method_id=payment_method_id, payer_id=payer_id, gateway=plan.gateway
    ):
        raise NoUsablePaymentMethod(
            "That card cannot be charged for this plan.",
            extra={"payment_method": str(payment_method_id)},
        )
    try:
        subscription, invoice = open_subscription(
            payer_id=payer_id,
            plan=plan,
            with_trial=with_trial,
            time_zone=time_zone,
            now=now,
            actor=actor,
            request_key=request_key,
        )
    except (KeyTaken, AlreadySubscribed):
        # A concurrent request with the same key won: its subscription answers.
        replayed = _replay(request_key)
        if replayed is None:
            raise
        return replayed
    started = _pay_or_verify(
        subscription,
        plan,
        invoice,
        card_payload=card_payload,
        payment_method_id=payment_method_id,
        now=now,
        actor=actor,
        ip_address=ip_address,
        return_url=return_url,
        cardholder_name=cardholder_name,
    )
    return _applied(started, now=now, actor=actor)


def complete_subscription_3ds(
    *,
    subscription_id: uuid.UUID,
    authentication_result: str | None,
    now: dt.datetime,
    actor: str,
) -> StartedSubscription:
    """Finish the first payment (or the trial's card check) after 3-D Secure.

    Safe to call twice: the second call finds nothing left to complete.

    :raises SubscriptionNotFound: for an unknown subscription.
    :raises NothingToComplete: when it is not waiting for 3-D Secure.
    """
    subscription = Subscription.objects.filter(id=subscription_id).first()
    if subscription is None:
        raise SubscriptionNotFound(extra={"subscription": str(subscription_id)})
    started = _pending_start(subscription)
    if started.action is None:
        raise NothingToComplete(extra={"status": subscription.status})
    if started.payment is not None:
        payment = complete_3ds(
            payment_id=started.payment.id,
            authentication_result=authentication_result,
            now=now,
            actor=actor,
        )
        started = StartedSubscription(subscription, started.invoice, payment)
    else:
        assert started.card_setup is not None
        setup = complete_card_setup_3ds(
            setup_id=started.card_setup.id,
            authentication_result=authentication_result,
            now=now,
            actor=actor,
        )
        started = StartedSubscription(subscription, card_setup=setup)
    return _applied(started, now=now, actor=actor)


def _pay_or_verify(
    subscription: Subscription,
    plan: Plan,
    invoice: Invoice | None,
    *,
    card_payload: str | None,
    payment_method_id: uuid.UUID | None,
    now: dt.datetime,
    actor: str,
    ip_address: str | None,
    return_url: str | None,
    cardholder_name: str | None,
) -> StartedSubscription:
    if invoice is not None and card_payload is not None:
        payment = start_card_payment(
            payer_id=subscription.payer_id,
            gateway=plan.gateway,
            amount=invoice.total,
            card_payload=card_payload,
            now=now,
            actor=actor,
            pays=invoice.pays_reference,
            kind=PaymentKind.INITIAL,
            description=invoice.description,
            ip_address=ip_address,
            return_url=return_url,
            cardholder_name=cardholder_name,
        )
        return StartedSubscription(subscription, invoice, payment)
    if invoice is not None:
        payment = charge_saved_card(
            payer_id=subscription.payer_id,
            amount=invoice.total,
            now=now,
            actor=actor,
            pays=invoice.pays_reference,
            kind=PaymentKind.ONE_OFF,
            description=invoice.description,
            payment_method_id=payment_method_id,
        )
        return StartedSubscription(subscription, invoice, payment)
    if card_payload is not None:
        setup = start_card_setup(
            payer_id=subscription.payer_id,
            gateway=plan.gateway,
            card_payload=card_payload,
            verification_amount=verification_amount(subscription.price.currency),
            now=now,
            actor=actor,
            purpose=card_check_purpose(subscription),
            ip_address=ip_address,
            return_url=return_url,
            cardholder_name=cardholder_name,
        )
        return StartedSubscription(subscription, card_setup=setup)
    # A trial on a saved card: it was verified when it was saved.
    Subscription.objects.filter(id=subscription.id).update(
        payment_method_id=payment_method_id
    )
    return StartedSubscription(subscription)


def _applied(
    started: StartedSubscription, *, now: dt.datetime, actor: str
) -> StartedSubscription:
    """Apply what the payment or the card check said, and return it all fresh."""
    with outbox.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan")
            .get(id=started.subscription.id)
        )
        if started.invoice is not None:
            apply_invoice_outcome(
                subscription,
                started.invoice,
                started.payment,
                now=now,
                actor=actor,
                policy=DunningPolicy.from_settings(),
            )
        else:
            apply_card_setup_outcome(
                subscription, started.card_setup, now=now, actor=actor
            )
    if started.invoice is not None:
        started.invoice.refresh_from_db()
    return StartedSubscription(
        subscription, started.invoice, started.payment, started.card_setup
    )


def _replay(request_key: RequestKey | None) -> StartedSubscription | None:
    """The subscription an earlier request with this key opened, or None."""
    result = replay_of(request_key) if request_key is not None else None
    if result is None:
        return None
    subscription = Subscription.objects.select_related("plan").get(
        id=subscription_of_result(result)
    )
    return _pending_start(subscription)


def _pending_start(subscription: Subscription) -> StartedSubscription:
    """The first invoice's payment, or the trial's card check, still in progress."""
    if subscription.status != SubscriptionStatus.INCOMPLETE:
        return StartedSubscription(subscription)
    invoice = Invoice.objects.filter(
        subscription_id=subscription.id,
        billing_reason=BillingReason.SUBSCRIPTION_CREATE,
    ).first()
    if invoice is not None:
        payment = live_payments_for(pays=[invoice.pays_reference]).get(
            invoice.pays_reference
        )
        return StartedSubscription(subscription, invoice, payment)
    setup = card_setup_for(purpose=card_check_purpose(subscription))
    return StartedSubscription(subscription, card_setup=setup)
