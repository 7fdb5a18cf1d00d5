"""The renewal run: every due subscription of a gateway billed once per period.

One run per gateway at a time (`exclusive_run`), so that the gateway's limits hold
for the whole service. The run claims due subscriptions in batches with
`SELECT … FOR UPDATE SKIP LOCKED` and, in the claim's transaction, issues the
batch's invoices and saves a PENDING payment per invoice (one statement per table
for the whole batch). After the commit, `concurrency` threads send the charges
through a `GatewayThrottle`, and a few others apply the answers, each with its
subscription's outcome, several renewals to a transaction (every answer that is
waiting, up to `SETTLE_GROUP`).

Why a period is never charged twice, whatever crashes:

- a period has one invoice (a database constraint), and an invoice one live payment
  (another), so a second claim of the same period finds them and does not bill;
- the PENDING payment is saved with its idempotency key before the gateway is
  called; a run that finds one a dead run left (its lease is released at once when
  the run lock shows the run is gone) sends it again with the same key, which the
  gateway answers without charging again — within `RESEND_WITHIN`, well inside the
  gateways' replay windows (CloudPayments 1 hour, Stripe 24 hours); older ones are
  the janitor's, who asks the gateway;
- an answer that never came (timeout, lost reply) leaves the payment UNKNOWN for the
  janitor, and the subscription waits for its settlement.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, cast

from django.db import IntegrityError, connection, connections
from django.db.models import F, Q

from billing import outbox
from billing.models import PERIOD_REASONS, BillingReason, Invoice, InvoiceStatus
from billing.models import InvoiceLineKind as LineKind
from billing.money import Money
from billing.services import InvoiceDraft, LineDraft, issue_invoices, void_invoice
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
    apply_gateway_answer,
    charge_prepared_payment,
    prepare_saved_card_payments,
)
from subscriptions.models import (
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionStatus,
)
from subscriptions.periods import Period
from subscriptions.services._billing_periods import first_period, period_after
from subscriptions.services._charge_outcomes import (
    RECHECK_AFTER,
    DunningPolicy,
    Outcome,
    apply_invoice_outcome,
    end_dunning,
)
from subscriptions.services._run_lock import exclusive_run
from subscriptions.services._subscription_history import move_subscription

logger = logging.getLogger(__name__)

RENEWAL_ACTOR: Final = "system:renewals"
# How long a claimed subscription is left alone while its charge is on the way.
CLAIM_LEASE: Final = dt.timedelta(minutes=10)
# A PENDING payment this young is sent again with its key; an older one is the
# janitor's (it turns PENDING payments older than 15 minutes UNKNOWN and asks).
RESEND_WITHIN: Final = dt.timedelta(minutes=10)
_STOP: Final = object()
# Answers applied in one transaction at most, and charging threads per thread that
# applies answers (a settler applies a group while the senders wait on the gateway).
SETTLE_GROUP: Final = 25
SENDERS_PER_SETTLER: Final = 8


@dataclass
class RenewalReport:
    """What a run did; counters are safe to bump from the charging threads."""

    gateway: str
    skipped: bool = False
    claimed: int = 0
    charged: int = 0
    # Outcomes (subscriptions._charge_outcomes.Outcome), and cancellations at
    # period end.
    paid: int = 0
    failed: int = 0
    waiting: int = 0
    ended: int = 0
    canceled: int = 0
    errors: int = 0
    # Stopped by its time budget with subscriptions still due.
    more_due: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)


@dataclass(frozen=True, slots=True)
class _Charge:
    """A prepared payment for a subscription's invoice, ready to send."""

    subscription_id: uuid.UUID
    payer_id: uuid.UUID
    invoice: Invoice
    payment: Payment


@dataclass(frozen=True, slots=True)
class _Target:
    """A claimed subscription and the period whose invoice it is to pay."""

    subscription: Subscription
    period: Period
    plan: Plan
    price: PlanPrice


def renew_due_subscriptions(
    *,
    gateway: str,
    clock: Callable[[], dt.datetime],
    concurrency: int = 1,
    per_second: float | None = None,
    batch_size: int = 100,
    payer_offsets: Mapping[uuid.UUID, dt.timedelta] | None = None,
    time_budget: dt.timedelta | None = None,
    policy: DunningPolicy | None = None,
) -> RenewalReport:
    """Renew, retry, cancel or end every subscription of `gateway` that is due.

    Due means `due_at` at or before the moment the run starts (`clock()` then, plus
    a payer's test-clock offset from `payer_offsets`). A subscription that falls due
    again during the run (a clock moved by months) is renewed again, period by
    period. With `time_budget`, the run stops claiming when it is spent and says
    whether more is due. A run finding another one of the gateway busy does
    nothing (`skipped`).
    """
    report = RenewalReport(gateway=gateway)
    with exclusive_run(f"renewals:{gateway}") as acquired:
        if not acquired:
            report.skipped = True
            return report
        run = _Run(
            gateway=gateway,
            clock=clock,
            offsets=dict(payer_offsets or {}),
            policy=policy or DunningPolicy.from_settings(),
            batch_size=batch_size,
            report=report,
        )
        throttle = GatewayThrottle(max_in_flight=concurrency, per_second=per_second)
        deadline = (
            time.monotonic() + time_budget.total_seconds() if time_budget else None
        )
        with _Chargers(
            size=concurrency, send=run.send, settle=run.settle, throttle=throttle
        ) as pool:
            run.release_dead_claims()
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    report.more_due = True
                    break
                charges = run.claim_and_prepare()
                if charges is None:
                    # Charges still in flight may make their subscriptions due again.
                    pool.drain()
                    charges = run.claim_and_prepare()
                    if charges is None:
                        break
                for charge in charges:
                    pool.put(charge)
    return report


class _Run:
    def __init__(
        self,
        *,
        gateway: str,
        clock: Callable[[], dt.datetime],
        offsets: dict[uuid.UUID, dt.timedelta],
        policy: DunningPolicy,
        batch_size: int,
        report: RenewalReport,
    ) -> None:
        self.gateway = gateway
        self.clock = clock
        self.offsets = offsets
        self.policy = policy
        self.batch_size = batch_size
        self.report = report
        self.run_id = uuid.uuid4()
        self.as_of = clock()

    def now_for(self, payer_id: uuid.UUID) -> dt.datetime:
        return self.clock() + self.offsets.get(payer_id, dt.timedelta(0))

    def release_dead_claims(self) -> None:
        """Make the claims of earlier runs due at once: this run holds the lock, so
        they were made by runs that died (or were killed) with charges on the way."""
        # Back to the moment of the claim (the lease's end less the lease), so that
        # they come first, while their PENDING payments are young enough to resend.
        released = (
            Subscription.objects.filter(gateway=self.gateway, claimed_by__isnull=False)
            .exclude(claimed_by=self.run_id)
            .update(due_at=F("due_at") - CLAIM_LEASE, claimed_by=None)
        )
        if released:
            logger.warning(
                "subscription.renewal.dead_claims_released",
                extra={"gateway": self.gateway, "subscriptions": released},
            )

    def claim_and_prepare(self) -> list[_Charge] | None:
        """Claim a batch and prepare its charges; None when nothing is due.

        A batch that conflicts with a constraint (another process billed one of
        its periods meanwhile) is rolled back whole and redone one subscription at
        a time, so that one conflict holds up nobody else.
        """
        try:
            return self._claim_and_prepare()
        except IntegrityError:
            logger.exception("Unable to prepare a renewal batch; going one by one")
        candidates = list(
            Subscription.objects.filter(self._due(), gateway=self.gateway)
            .order_by("due_at")
            .values_list("id", flat=True)[: self.batch_size]
        )
        charges: list[_Charge] = []
        for subscription_id in candidates:
            try:
                charges.extend(self._claim_and_prepare(only=subscription_id) or [])
            except IntegrityError:
                logger.exception(
                    "Unable to prepare a renewal",
                    extra={"subscription": str(subscription_id)},
                )
                Subscription.objects.filter(id=subscription_id).update(
                    due_at=self.clock() + RECHECK_AFTER, claimed_by=None
                )
        return charges if candidates else None

    def _claim_and_prepare(
        self, *, only: uuid.UUID | None = None
    ) -> list[_Charge] | None:
        with outbox.atomic():
            subscriptions = self._claim(only=only)
            if not subscriptions:
                return None
            self.report.count("claimed", len(subscriptions))
            targets = [t for s in subscriptions if (t := self._target(s)) is not None]
            return self._prepare(targets)

    def _due(self) -> Q:
        due = Q(due_at__lte=self.as_of)
        for payer_id, offset in self.offsets.items():
            due |= Q(payer_id=payer_id, due_at__lte=self.as_of + offset)
        return due

    def _claim(self, *, only: uuid.UUID | None = None) -> list[Subscription]:
        due = self._due() if only is None else self._due() & Q(id=only)
        subscriptions = list(
            Subscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "plan",
                "price",
                "scheduled_plan",
                "scheduled_price",
                "payment_method__payer",
            )
            .filter(due, gateway=self.gateway)
            .order_by("due_at")[: self.batch_size]
        )
        if subscriptions:
            lease_until = self.clock() + CLAIM_LEASE
            Subscription.objects.filter(id__in=[s.id for s in subscriptions]).update(
                due_at=lease_until, claimed_by=self.run_id
            )
        return subscriptions

    def _target(self, subscription: Subscription) -> _Target | None:
        """What a claimed subscription is due for; None when it was dealt with."""
        now = self.now_for(subscription.payer_id)
        status = subscription.status
        if status in (
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.TRIALING,
            SubscriptionStatus.PAST_DUE,
        ) and (subscription.cancel_at is not None and subscription.cancel_at <= now):
            self._end_scheduled(subscription, now=now)
            return None
        if status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
            return self._next_period(subscription)
        if status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.INCOMPLETE):
            return _Target(
                subscription,
                subscription.current_period,
                subscription.plan,
                subscription.price,
            )
        # Paused or ended since it was scheduled: nothing is due any more.
        subscription.due_at = None
        subscription.claimed_by = None
        subscription.save(update_fields=["due_at", "claimed_by"])
        return None

    def _next_period(self, subscription: Subscription) -> _Target:
        plan = subscription.scheduled_plan or subscription.plan
        price = subscription.scheduled_price or subscription.price
        if plan.cycle == subscription.plan.cycle:
            period = period_after(subscription, plan.cycle)
        else:
            period = first_period(
                subscription.current_period_ends_at,
                plan.cycle,
                time_zone=subscription.time_zone,
            )
        return _Target(subscription, period, plan, price)

    def _prepare(self, targets: list[_Target]) -> list[_Charge]:
        invoices = _period_invoices(targets)
        live = live_payments_for(pays=[i.pays_reference for i in invoices.values()])
        counts = payment_counts_for(pays=[i.pays_reference for i in invoices.values()])
        methods = default_payment_methods(
            payer_ids={t.subscription.payer_id for t in targets}, gateway=self.gateway
        )
        charges: list[_Charge] = []
        to_issue: list[_Target] = []
        to_charge: list[tuple[_Target, Invoice, PaymentMethod, int]] = []
        for target in targets:
            subscription = target.subscription
            invoice = invoices.get((subscription.id, target.period.starts_at))
            if invoice is None:
                if subscription.status == SubscriptionStatus.INCOMPLETE:
                    self._expire_incomplete(subscription, None)
                else:
                    to_issue.append(target)
                continue
            if not self._still_to_charge(subscription, invoice, live):
                continue
            if live.get(invoice.pays_reference) is not None:
                charges.append(self._resend(subscription, invoice, live))
                continue
            method = _card_for(subscription, methods)
            if method is None:
                self._apply(subscription, invoice, None)
                continue
            attempt = counts.get(invoice.pays_reference, 0) + 1
            to_charge.append((target, invoice, method, attempt))
        for target, invoice in zip(
            to_issue, self._issue(to_issue, methods), strict=True
        ):
            method = _card_for(target.subscription, methods)
            if invoice.status == InvoiceStatus.PAID or method is None:
                self._apply(target.subscription, invoice, None)
            else:
                to_charge.append((target, invoice, method, 1))
        return charges + self._prepare_payments(to_charge)

    def _still_to_charge(
        self,
        subscription: Subscription,
        invoice: Invoice,
        live: dict[str, Payment],
    ) -> bool:
        """Settle what the invoice and its payment already say; True if a charge is
        still to be sent (a new one, or a young PENDING one again)."""
        now = self.now_for(subscription.payer_id)
        if subscription.status == SubscriptionStatus.INCOMPLETE:
            self._expire_incomplete(subscription, invoice)
            return False
        if subscription.status == SubscriptionStatus.PAST_DUE and (
            subscription.needs_new_payment_method or subscription.next_retry_at is None
        ):
            self._end_unpaid(subscription, invoice, now=now)
            return False
        if invoice.status == InvoiceStatus.PAID:
            self._apply(subscription, invoice, None)
            return False
        if invoice.status != InvoiceStatus.OPEN:
            logger.warning(
                "subscription.renewal.invoice_not_open",
                extra={"subscription": str(subscription.id), "invoice": invoice.id},
            )
            self._wait(subscription, now=now)
            return False
        payment = live.get(invoice.pays_reference)
        if payment is None:
            return True
        if payment.status == PaymentStatus.SUCCEEDED:
            self._apply(subscription, invoice, payment)
            return False
        if (
            payment.status == PaymentStatus.PENDING
            and payment.created_at >= now - RESEND_WITHIN
        ):
            return True
        self._wait(subscription, now=now)
        return False

    def _resend(
        self, subscription: Subscription, invoice: Invoice, live: dict[str, Payment]
    ) -> _Charge:
        payment = live[invoice.pays_reference]
        logger.info(
            "subscription.renewal.resending",
            extra={"subscription": str(subscription.id), "payment": str(payment.id)},
        )
        return _Charge(subscription.id, subscription.payer_id, invoice, payment)

    def _issue(
        self, targets: list[_Target], methods: dict[uuid.UUID, PaymentMethod]
    ) -> list[Invoice]:
        drafts = [_draft(target) for target in targets]
        now = self.clock()
        for target in targets:
            credit = _credit_used(target)
            if credit:
                # The row and the claimed copy both: a zero invoice saves the copy.
                target.subscription.credit_minor -= credit
                Subscription.objects.filter(id=target.subscription.id).update(
                    credit_minor=target.subscription.credit_minor
                )
        return issue_invoices(drafts, now=now, actor=RENEWAL_ACTOR)

    def _prepare_payments(
        self, to_charge: list[tuple[_Target, Invoice, PaymentMethod, int]]
    ) -> list[_Charge]:
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
        payments = prepare_saved_card_payments(charges, now=self.clock())
        return [
            _Charge(target.subscription.id, target.subscription.payer_id, inv, paid)
            for (target, inv, _, _), paid in zip(to_charge, payments, strict=True)
        ]

    def send(self, charge: _Charge, throttle: GatewayThrottle) -> GatewayAnswer | None:
        """Send one charge (outside any transaction); its answer, None on a failure.

        Never raises: the payment is saved with its key, so a later run resends it
        or the janitor settles it; one failure must not stop the others.
        """
        try:
            with throttle.slot():
                answer = charge_prepared_payment(charge.payment)
        except Exception:
            self.report.count("errors")
            logger.exception("Unable to send a renewal charge", extra=_about(charge))
            return None
        self.report.count("charged")
        return answer

    def settle(self, answered: list[tuple[_Charge, GatewayAnswer]]) -> None:
        """Apply answers, each with its subscription's outcome, in one transaction.

        A group that fails (a conflict with another process, say) is rolled back
        whole and applied again one answer at a time, so that one failure holds up
        nobody else. Never raises, like `send`: what failed is left to a later run
        or the janitor.
        """
        if len(answered) > 1:
            try:
                self._settle(answered)
                return
            except Exception:
                logger.exception("Unable to settle renewals together; one by one")
        for one in answered:
            try:
                self._settle([one])
            except Exception:
                self.report.count("errors")
                logger.exception("Unable to settle a renewal", extra=_about(one[0]))

    def _settle(self, answered: list[tuple[_Charge, GatewayAnswer]]) -> None:
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
            for charge, answer in answered:
                payment = apply_gateway_answer(
                    payment_id=charge.payment.id,
                    answer=answer,
                    now=self.now_for(charge.payer_id),
                    actor=RENEWAL_ACTOR,
                )
                subscription = locked[charge.subscription_id]
                if subscription.is_live:
                    outcomes.append(
                        self._outcome(subscription, charge.invoice, payment)
                    )
        # Counted once committed: a group rolled back is applied again one by one.
        for outcome in outcomes:
            self.report.count(outcome.value)

    def _apply(
        self, subscription: Subscription, invoice: Invoice, payment: Payment | None
    ) -> None:
        self.report.count(self._outcome(subscription, invoice, payment).value)

    def _outcome(
        self, subscription: Subscription, invoice: Invoice, payment: Payment | None
    ) -> Outcome:
        # Only the run that claimed a subscription releases its claim; news from
        # elsewhere (a webhook) leaves a claim alone, for this run to release.
        subscription.claimed_by = None
        return apply_invoice_outcome(
            subscription,
            invoice,
            payment,
            now=self.now_for(subscription.payer_id),
            actor=RENEWAL_ACTOR,
            policy=self.policy,
        )

    def _wait(self, subscription: Subscription, *, now: dt.datetime) -> None:
        """Look again later: a payment is in flight, or a person must decide."""
        subscription.due_at = now + RECHECK_AFTER
        subscription.claimed_by = None
        subscription.save(update_fields=["due_at", "claimed_by"])
        self.report.count("waiting")

    def _end_scheduled(self, subscription: Subscription, *, now: dt.datetime) -> None:
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
        self.report.count("canceled")

    def _end_unpaid(
        self, subscription: Subscription, invoice: Invoice | None, *, now: dt.datetime
    ) -> None:
        """No new card came within the grace of dunning: end it, write off."""
        subscription.claimed_by = None
        end_dunning(
            subscription,
            invoice,
            now=now,
            actor=RENEWAL_ACTOR,
            policy=self.policy,
            reason="no new card within the grace period",
        )
        subscription.save()
        self.report.count("ended")

    def _expire_incomplete(
        self, subscription: Subscription, invoice: Invoice | None
    ) -> None:
        """The first payment never completed in time: the subscription expires."""
        now = self.now_for(subscription.payer_id)
        if invoice is not None and invoice.status == InvoiceStatus.PAID:
            self._apply(subscription, invoice, None)
            return
        live = (
            live_payments_for(pays=[invoice.pays_reference]) if invoice else {}
        ).get(invoice.pays_reference if invoice else "")
        if live is not None:
            # Its outcome is still coming (the janitor asks the gateway).
            self._wait(subscription, now=now)
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
        self.report.count("ended")


def _period_invoices(
    targets: list[_Target],
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


def _about(charge: _Charge) -> dict[str, str]:
    return {
        "subscription": str(charge.subscription_id),
        "payment": str(charge.payment.id),
    }


def _card_for(
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


def _credit_used(target: _Target) -> int:
    return min(target.subscription.credit_minor, target.price.amount_minor)


def _draft(target: _Target) -> InvoiceDraft:
    subscription, period, plan, price = (
        target.subscription,
        target.period,
        target.plan,
        target.price,
    )
    description = (
        f"{plan.name}, {period.starts_at:%Y-%m-%d} to {period.ends_at:%Y-%m-%d}"
    )
    lines = [
        LineDraft(
            kind=LineKind.PLAN,
            description=description,
            amount=price.amount,
            period_starts_at=period.starts_at,
            period_ends_at=period.ends_at,
            source=f"plan_price:{price.id}",
        )
    ]
    if credit := _credit_used(target):
        lines.append(
            LineDraft(
                kind=LineKind.CREDIT,
                description="Credit from an earlier plan change",
                amount=-Money(credit, price.currency),
            )
        )
    reason = (
        BillingReason.SUBSCRIPTION_CREATE
        if subscription.status == SubscriptionStatus.INCOMPLETE
        else BillingReason.SUBSCRIPTION_CYCLE
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


class _Chargers:
    """Threads that send prepared charges, and fewer threads that apply the answers.

    `size` senders call the gateway (the claim loaded what a charge needs). Their
    answers go to fewer threads (one per `SENDERS_PER_SETTLER`), which take
    every answer waiting (up to `SETTLE_GROUP`) and apply them in one transaction:
    one commit, and one turn at the events' order lock (held from the events'
    INSERT to the commit, see `billing.outbox`), for the group instead of for
    each renewal. Both queues hold at most two items per thread, so a run of any
    size keeps a bounded number of prepared payments in memory. An in-memory SQLite
    database (the test suite's) cannot be written from several threads: there the
    charges are sent and applied one by one from the run's own thread.
    """

    def __init__(
        self,
        *,
        size: int,
        send: Callable[[_Charge, GatewayThrottle], GatewayAnswer | None],
        settle: Callable[[list[tuple[_Charge, GatewayAnswer]]], None],
        throttle: GatewayThrottle,
    ) -> None:
        self._send = send
        self._settle = settle
        self._throttle = throttle
        self._inline = size <= 1 or _in_memory_database()
        settlers = 0 if self._inline else max(1, size // SENDERS_PER_SETTLER)
        self._charges: queue.Queue[object] = queue.Queue(maxsize=max(size, 1) * 2)
        self._answers: queue.Queue[object] = queue.Queue(maxsize=max(size, 1) * 2)
        self._senders = [
            threading.Thread(target=self._send_all, name=f"renewal-{n}", daemon=True)
            for n in range(0 if self._inline else size)
        ]
        self._settlers = [
            threading.Thread(
                target=self._settle_all, name=f"renewal-settle-{n}", daemon=True
            )
            for n in range(settlers)
        ]

    def __enter__(self) -> _Chargers:
        for thread in self._settlers + self._senders:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Senders first: once they are done, every answer is queued for settling.
        for _ in self._senders:
            self._charges.put(_STOP)
        for thread in self._senders:
            thread.join()
        for _ in self._settlers:
            self._answers.put(_STOP)
        for thread in self._settlers:
            thread.join()

    def put(self, charge: _Charge) -> None:
        if self._inline:
            answer = self._send(charge, self._throttle)
            if answer is not None:
                self._settle([(charge, answer)])
        else:
            self._charges.put(charge)

    def drain(self) -> None:
        """Wait until every charge handed over so far is sent and settled."""
        if not self._inline:
            self._charges.join()
            self._answers.join()

    def _send_all(self) -> None:
        try:
            while (charge := self._charges.get()) is not _STOP:
                assert isinstance(charge, _Charge)
                try:
                    answer = self._send(charge, self._throttle)
                    if answer is not None:
                        self._answers.put((charge, answer))
                finally:
                    self._charges.task_done()
            self._charges.task_done()
        finally:
            connections.close_all()

    def _settle_all(self) -> None:
        try:
            stopping = False
            while not stopping:
                group: list[tuple[_Charge, GatewayAnswer]] = []
                item = self._answers.get()
                while True:
                    if item is _STOP:
                        stopping = True
                    else:
                        group.append(cast(tuple[_Charge, GatewayAnswer], item))
                    if stopping or len(group) >= SETTLE_GROUP:
                        break
                    try:
                        item = self._answers.get_nowait()
                    except queue.Empty:
                        break
                try:
                    if group:
                        self._settle(group)
                finally:
                    for _ in range(len(group) + stopping):
                        self._answers.task_done()
        finally:
            connections.close_all()


def _in_memory_database() -> bool:
    is_in_memory: Callable[[], bool] = getattr(
        connection, "is_in_memory_db", lambda: False
    )
    return connection.vendor == "sqlite" and is_in_memory()
