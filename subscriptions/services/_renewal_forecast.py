"""A dry run of a day's renewals: what the renewal run will do to each
subscription that falls due that day, by the run's own rules, changing nothing.

A subscription counts on the day its `due_at` falls on (UTC); for today or a day
gone, those overdue count too, since the next run takes them first. Test-clock
offsets of single payers are not applied.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections import Counter
from dataclasses import dataclass

from django.db.models import Q

from billing.models import PERIOD_REASONS, Invoice, InvoiceStatus
from billing.money import Money
from payments.models import PaymentMethod
from payments.selectors import default_payment_methods
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services._renewal_charges import card_for, period_draft
from subscriptions.services._renewal_claims import next_period

_RENEWING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


class ForecastAction(enum.StrEnum):
    CHARGE = "charge"  # the next period's invoice, charged to the card
    RETRY = "retry"  # a past-due invoice, charged again
    NO_CHARGE = "no_charge"  # the next period costs nothing: credit covers it
    NO_CARD = "no_card"  # nothing to charge: the run marks it past due
    END = "end"  # canceled at the end of its period
    END_UNPAID = "end_unpaid"  # out of retries, or waiting for a new card
    EXPIRE = "expire"  # its first invoice was never paid


CHARGING: frozenset[ForecastAction] = frozenset(
    {ForecastAction.CHARGE, ForecastAction.RETRY}
)


@dataclass(frozen=True)
class ForecastLine:
    subscription_id: uuid.UUID
    payer_id: uuid.UUID
    gateway: str
    status: str
    plan: str
    due_at: dt.datetime
    action: ForecastAction
    # What the charge asks for; None when nothing is charged.
    amount: Money | None
    # The card charged (brand and last four digits), empty when none.
    card: str
    # The card's expiry month ends before the charge.
    card_expires_first: bool

    @property
    def in_dunning(self) -> bool:
        return self.status == SubscriptionStatus.PAST_DUE


@dataclass(frozen=True)
class RenewalForecast:
    day: dt.date
    lines: list[ForecastLine]

    def totals(self) -> dict[tuple[str, str], Money]:
        """What the charges ask for, by gateway and currency."""
        totals: dict[tuple[str, str], Money] = {}
        for line in self.lines:
            if line.action in CHARGING and line.amount is not None:
                key = (line.gateway, line.amount.currency)
                totals[key] = totals.get(key, Money(0, key[1])) + line.amount
        return totals

    def counts(self) -> Counter[ForecastAction]:
        return Counter(line.action for line in self.lines)


def forecast_renewals(*, day: dt.date, now: dt.datetime) -> RenewalForecast:
    """What the renewal runs of `day` will do, as of `now`; nothing is changed."""
    starts = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    ends = starts + dt.timedelta(days=1)
    due = Q(due_at__lt=ends)
    if starts > now:
        due &= Q(due_at__gte=starts)
    subscriptions = list(
        Subscription.objects.select_related(
            "plan", "price", "scheduled_plan", "scheduled_price", "payment_method"
        )
        .filter(due, due_at__isnull=False)
        .order_by("due_at", "id")
    )
    cards = _default_cards(subscriptions)
    open_invoices = _open_period_invoices(subscriptions)
    lines = [
        _line(
            s,
            charge_at=max(s.due_at or starts, starts),
            cards=cards,
            invoices=open_invoices,
        )
        for s in subscriptions
    ]
    return RenewalForecast(day=day, lines=[line for line in lines if line is not None])


def _line(
    subscription: Subscription,
    *,
    charge_at: dt.datetime,
    cards: dict[str, dict[uuid.UUID, PaymentMethod]],
    invoices: dict[tuple[uuid.UUID, dt.datetime], Invoice],
) -> ForecastLine | None:
    status = subscription.status
    amount: Money | None = None
    card = card_for(subscription, cards.get(subscription.gateway, {}))
    if status in (*_RENEWING, SubscriptionStatus.PAST_DUE) and (
        subscription.cancel_at is not None and subscription.cancel_at <= charge_at
    ):
        action = ForecastAction.END
    elif status in _RENEWING:
        amount = period_draft(next_period(subscription)).total
        action = _charge_or_not(amount, card)
    elif status == SubscriptionStatus.PAST_DUE:
        invoice = invoices.get((subscription.id, subscription.current_period_starts_at))
        if subscription.needs_new_payment_method or subscription.next_retry_at is None:
            action = ForecastAction.END_UNPAID
        elif invoice is None:
            return None  # paid or settled meanwhile: the run only catches up
        else:
            amount = invoice.amount_due
            action = ForecastAction.RETRY if card else ForecastAction.NO_CARD
    elif status == SubscriptionStatus.INCOMPLETE:
        action = ForecastAction.EXPIRE
    else:
        return None
    charged = action in CHARGING
    return ForecastLine(
        subscription_id=subscription.id,
        payer_id=subscription.payer_id,
        gateway=subscription.gateway,
        status=status,
        plan=subscription.plan.code,
        due_at=charge_at,
        action=action,
        amount=amount if charged else None,
        card=_describe(card) if charged else "",
        card_expires_first=charged and _expires_before(card, charge_at),
    )


def _charge_or_not(amount: Money, card: PaymentMethod | None) -> ForecastAction:
    if amount.amount_minor == 0:
        return ForecastAction.NO_CHARGE
    return ForecastAction.CHARGE if card is not None else ForecastAction.NO_CARD


def _default_cards(
    subscriptions: list[Subscription],
) -> dict[str, dict[uuid.UUID, PaymentMethod]]:
    """Each payer's default card, by gateway then payer, in a query per gateway."""
    return {
        gateway: default_payment_methods(
            payer_ids={s.payer_id for s in subscriptions if s.gateway == gateway},
            gateway=gateway,
        )
        for gateway in {s.gateway for s in subscriptions}
    }


def _open_period_invoices(
    subscriptions: list[Subscription],
) -> dict[tuple[uuid.UUID, dt.datetime], Invoice]:
    owing = [s.id for s in subscriptions if s.status == SubscriptionStatus.PAST_DUE]
    invoices = Invoice.objects.filter(
        subscription_id__in=owing,
        billing_reason__in=PERIOD_REASONS,
        status=InvoiceStatus.OPEN,
    )
    return {(i.subscription_id, i.period_starts_at): i for i in invoices}  # type: ignore[misc]


def _describe(card: PaymentMethod | None) -> str:
    return "" if card is None else f"{card.brand or 'card'} ····{card.last4}"


def _expires_before(card: PaymentMethod | None, moment: dt.datetime) -> bool:
    if card is None or card.exp_year is None or card.exp_month is None:
        return False
    return (card.exp_year, card.exp_month) < (moment.year, moment.month)
