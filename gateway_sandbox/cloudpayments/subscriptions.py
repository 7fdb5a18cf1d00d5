"""Gateway-run subscriptions (GATEWAYS.md A3.10), driven by the sandbox clock.

On each due date the gateway charges the subscription's token. A failure is retried
24 h later; one or two failures in a row make the subscription PastDue, three make it
Rejected; reaching MaxPeriods makes it Expired. Every attempt sends Pay or Fail with the
SubscriptionId and every status change sends Recurrent.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gateway_sandbox.cloudpayments.currencies import Currency, format_amount
from gateway_sandbox.cloudpayments.intervals import CloudPaymentsInterval, add_intervals
from gateway_sandbox.cloudpayments.notifications import NotificationType, Notifier
from gateway_sandbox.cloudpayments.processing import (
    NOT_FOUND,
    OperationRefused,
    PaymentDetails,
    PaymentEngine,
    TokenCharge,
)
from gateway_sandbox.cloudpayments.tokens import TokenStore
from gateway_sandbox.cloudpayments.transactions import iso, legacy_date

if TYPE_CHECKING:
    from gateway_sandbox.clock import SandboxClock

RETRY_AFTER = dt.timedelta(hours=24)
MAX_CONSECUTIVE_FAILURES = 3


class CloudPaymentsSubscriptionStatus(enum.StrEnum):
    ACTIVE = "Active"
    PAST_DUE = "PastDue"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    EXPIRED = "Expired"


# Active=0 and Cancelled=3 are documented; the others are [INFERRED].
SUBSCRIPTION_STATUS_CODES: dict[CloudPaymentsSubscriptionStatus, int] = {
    CloudPaymentsSubscriptionStatus.ACTIVE: 0,
    CloudPaymentsSubscriptionStatus.PAST_DUE: 1,
    CloudPaymentsSubscriptionStatus.REJECTED: 2,
    CloudPaymentsSubscriptionStatus.CANCELLED: 3,
    CloudPaymentsSubscriptionStatus.EXPIRED: 4,
}
_CHARGEABLE = frozenset(
    {CloudPaymentsSubscriptionStatus.ACTIVE, CloudPaymentsSubscriptionStatus.PAST_DUE}
)


@dataclass(slots=True, eq=False)
class CloudPaymentsSubscription:
    id: str
    public_id: str
    account_id: str
    token: str
    description: str
    email: str | None
    amount: Decimal
    currency: Currency
    require_confirmation: bool
    start_at: dt.datetime
    interval: CloudPaymentsInterval
    period: int
    max_periods: int | None
    status: CloudPaymentsSubscriptionStatus
    # The schedule is `anchor_at + cycle * period intervals`; a change of interval
    # or start re-anchors it without rewriting the documented StartDate.
    anchor_at: dt.datetime
    cycle: int = 0
    next_transaction_at: dt.datetime | None = None
    last_transaction_at: dt.datetime | None = None
    successful_transactions: int = 0
    failed_transactions: int = 0
    receipt: Any = None

    def __str__(self) -> str:
        return f"Subscription {self.id} ({self.status})"

    def due_at(self, cycle: int) -> dt.datetime:
        return add_intervals(self.anchor_at, self.interval, cycle * self.period)

    def reanchor(self, at: dt.datetime) -> None:
        self.anchor_at = at
        self.cycle = 0
        self.next_transaction_at = at

    @property
    def has_periods_left(self) -> bool:
        return (
            self.max_periods is None or self.successful_transactions < self.max_periods
        )

    def as_model(self) -> dict[str, Any]:
        """The Subscription model of A2.3, in documented order."""
        return {
            "Id": self.id,
            "AccountId": self.account_id,
            "Description": self.description,
            "Email": self.email,
            "Amount": self.amount,
            "CurrencyCode": self.currency.numeric,
            "Currency": self.currency.code,
            "RequireConfirmation": self.require_confirmation,
            "StartDate": legacy_date(self.start_at),
            "StartDateIso": iso(self.start_at),
            "IntervalCode": self.interval.code,
            "Interval": self.interval.value,
            "Period": self.period,
            "MaxPeriods": self.max_periods,
            "CultureName": "ru-RU",
            "StatusCode": SUBSCRIPTION_STATUS_CODES[self.status],
            "Status": self.status.value,
            "SuccessfulTransactionsNumber": self.successful_transactions,
            "FailedTransactionsNumber": self.failed_transactions,
            "LastTransactionDate": legacy_date(self.last_transaction_at),
            "LastTransactionDateIso": iso(self.last_transaction_at),
            "NextTransactionDate": legacy_date(self.next_transaction_at),
            "NextTransactionDateIso": iso(self.next_transaction_at),
            "Receipt": self.receipt,
            "FailoverSchemeId": None,
        }

    def recurrent_fields(self) -> dict[str, object]:
        """The Recurrent notification's fields (B3)."""
        return {
            "Id": self.id,
            "AccountId": self.account_id,
            "Description": self.description,
            "Email": self.email,
            "Amount": format_amount(self.amount, self.currency),
            "Currency": self.currency.code,
            "RequireConfirmation": self.require_confirmation,
            "StartDate": self.start_at,
            "Interval": self.interval.value,
            "Period": self.period,
            "Status": self.status.value,
            "SuccessfulTransactionsNumber": self.successful_transactions,
            "FailedTransactionsNumber": self.failed_transactions,
            "MaxPeriods": self.max_periods,
            "LastTransactionDate": self.last_transaction_at,
            "NextTransactionDate": self.next_transaction_at,
        }


@dataclass(frozen=True, slots=True)
class SubscriptionTerms:
    """What create and update accept; None leaves a value as it is (update)."""

    description: str | None = None
    email: str | None = None
    amount: Decimal | None = None
    currency: Currency | None = None
    require_confirmation: bool | None = None
    start_at: dt.datetime | None = None
    interval: CloudPaymentsInterval | None = None
    period: int | None = None
    max_periods: int | None = None
    receipt: Any = None


class SubscriptionBook:
    """The subscriptions of the terminal and their schedule."""

    def __init__(
        self,
        *,
        clock: SandboxClock,
        engine: PaymentEngine,
        tokens: TokenStore,
        notifier: Notifier,
    ) -> None:
        self._clock = clock
        self._engine = engine
        self._tokens = tokens
        self._notifier = notifier
        self._by_id: dict[str, CloudPaymentsSubscription] = {}

    def reset(self) -> None:
        self._by_id.clear()

    def get(self, subscription_id: str) -> CloudPaymentsSubscription:
        """:raises OperationRefused: `Not found`."""
        subscription = self._by_id.get(subscription_id)
        if subscription is None:
            raise OperationRefused(NOT_FOUND)
        return subscription

    def all(self) -> list[CloudPaymentsSubscription]:
        return list(self._by_id.values())

    def add(self, subscription: CloudPaymentsSubscription) -> None:
        """Keep a subscription created before (a restart)."""
        self._by_id[subscription.id] = subscription

    def for_account(self, account_id: str) -> list[CloudPaymentsSubscription]:
        return [s for s in self._by_id.values() if s.account_id == account_id]

    def create(
        self, *, token: str, account_id: str, terms: SubscriptionTerms
    ) -> CloudPaymentsSubscription:
        """:raises OperationRefused: for a token not issued to the account here."""
        stored = self._tokens.find(token)
        if stored is None or stored.public_id != self._engine.public_id:
            raise OperationRefused("Token not found")
        if stored.account_id != account_id:
            raise OperationRefused("The Token was issued for another AccountId")
        assert terms.description is not None
        assert terms.amount is not None and terms.currency is not None
        assert terms.start_at is not None and terms.interval is not None
        assert terms.period is not None
        subscription = CloudPaymentsSubscription(
            id="sc_" + secrets.token_hex(15)[:29],
            public_id=self._engine.public_id,
            account_id=account_id,
            token=token,
            description=terms.description,
            email=terms.email,
            amount=terms.amount,
            currency=terms.currency,
            require_confirmation=bool(terms.require_confirmation),
            start_at=terms.start_at,
            interval=terms.interval,
            period=terms.period,
            max_periods=terms.max_periods,
            status=CloudPaymentsSubscriptionStatus.ACTIVE,
            anchor_at=terms.start_at,
            next_transaction_at=terms.start_at,
            receipt=terms.receipt,
        )
        self._by_id[subscription.id] = subscription
        return subscription

    def update(
        self, subscription_id: str, terms: SubscriptionTerms
    ) -> CloudPaymentsSubscription:
        """Change the terms; a Cancelled or Expired subscription becomes Active again
        if periods are left. No Recurrent notification is sent on update [DOC].

        :raises OperationRefused: `Not found`.
        """
        subscription = self.get(subscription_id)
        for name in ("description", "email", "amount", "currency", "receipt"):
            value = getattr(terms, name)
            if value is not None:
                setattr(subscription, name, value)
        if terms.require_confirmation is not None:
            subscription.require_confirmation = terms.require_confirmation
        if terms.max_periods is not None:
            subscription.max_periods = terms.max_periods
        rescheduled = terms.interval is not None or terms.period is not None
        subscription.interval = terms.interval or subscription.interval
        subscription.period = terms.period or subscription.period
        now = self._clock.now()
        if terms.start_at is not None:
            subscription.start_at = terms.start_at
            subscription.reanchor(terms.start_at)
        elif rescheduled:
            subscription.reanchor(subscription.next_transaction_at or now)
        if subscription.status in (
            CloudPaymentsSubscriptionStatus.CANCELLED,
            CloudPaymentsSubscriptionStatus.EXPIRED,
        ):
            self._reactivate(subscription, now)
        return subscription

    def _reactivate(
        self, subscription: CloudPaymentsSubscription, now: dt.datetime
    ) -> None:
        if not subscription.has_periods_left:
            return
        subscription.status = CloudPaymentsSubscriptionStatus.ACTIVE
        subscription.failed_transactions = 0
        next_at = subscription.next_transaction_at
        if next_at is None or next_at < now:
            while subscription.due_at(subscription.cycle) < now:
                subscription.cycle += 1
            subscription.next_transaction_at = subscription.due_at(subscription.cycle)

    def cancel(self, subscription_id: str) -> CloudPaymentsSubscription:
        """:raises OperationRefused: `Not found`."""
        subscription = self.get(subscription_id)
        if subscription.status in _CHARGEABLE:
            self._change_status(subscription, CloudPaymentsSubscriptionStatus.CANCELLED)
        return subscription

    def _change_status(
        self,
        subscription: CloudPaymentsSubscription,
        status: CloudPaymentsSubscriptionStatus,
    ) -> None:
        if status is subscription.status:
            return
        subscription.status = status
        if status not in _CHARGEABLE:
            subscription.next_transaction_at = None
        self._notifier.send(NotificationType.RECURRENT, subscription.recurrent_fields())

    def charge_due(self) -> None:
        """Make one attempt for every subscription due by the sandbox clock.

        A clock moved far ahead is caught up one attempt per call, so each missed
        period still gets its own payment and notifications.
        """
        now = self._clock.now()
        for subscription in list(self._by_id.values()):
            due = subscription.next_transaction_at
            if subscription.status in _CHARGEABLE and due is not None and due <= now:
                self._charge(subscription, due, now)

    def _charge(
        self,
        subscription: CloudPaymentsSubscription,
        due: dt.datetime,
        now: dt.datetime,
    ) -> None:
        details = PaymentDetails(
            amount=subscription.amount,
            currency=subscription.currency,
            is_two_stage=subscription.require_confirmation,
            account_id=subscription.account_id,
            email=subscription.email,
            description=subscription.description,
        )
        # The gateway's own schedule is a merchant-initiated, scheduled payment.
        charge = TokenCharge(
            token=subscription.token,
            tr_initiator_code=0,
            payment_scheduled=1,
            subscription_id=subscription.id,
        )
        try:
            accepted = self._engine.pay_by_token(details, charge).is_accepted
        except OperationRefused:
            accepted = False
        subscription.last_transaction_at = now
        if accepted:
            subscription.successful_transactions += 1
            subscription.failed_transactions = 0
            subscription.cycle += 1
            subscription.next_transaction_at = subscription.due_at(subscription.cycle)
            if subscription.has_periods_left:
                self._change_status(
                    subscription, CloudPaymentsSubscriptionStatus.ACTIVE
                )
            else:
                self._change_status(
                    subscription, CloudPaymentsSubscriptionStatus.EXPIRED
                )
            return
        subscription.failed_transactions += 1
        subscription.next_transaction_at = due + RETRY_AFTER
        if subscription.failed_transactions >= MAX_CONSECUTIVE_FAILURES:
            self._change_status(subscription, CloudPaymentsSubscriptionStatus.REJECTED)
        else:
            self._change_status(subscription, CloudPaymentsSubscriptionStatus.PAST_DUE)
