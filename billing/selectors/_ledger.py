"""Reads of the ledger: balances per account, the postings that do not balance, and
the cash at each gateway day by day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.db.models import F, Sum
from django.db.models.functions import TruncDate

from billing.models import DEBIT_NORMAL_ACCOUNTS, Invoice, LedgerAccount, LedgerEntry
from billing.signals import gateway_fees_wanted


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An account in one currency and subaccount (the gateway, for cash)."""

    account: str
    # The gateway, for cash at a gateway; empty for the other accounts.
    subaccount: str
    currency: str
    debit_minor: int
    credit_minor: int

    @property
    def net_minor(self) -> int:
        """Debits minus credits: positive for a debit balance."""
        return self.debit_minor - self.credit_minor

    @property
    def is_on_normal_side(self) -> bool:
        """Whether the balance sits on the account's usual side (or is zero)."""
        if self.account in DEBIT_NORMAL_ACCOUNTS:
            return self.net_minor >= 0
        return self.net_minor <= 0


@dataclass(frozen=True, slots=True)
class PostingImbalance:
    """A posting whose debits and credits differ in one currency."""

    posting: str
    currency: str
    debit_minor: int
    credit_minor: int


def ledger_account_balances() -> list[AccountBalance]:
    """Debits and credits per account, subaccount and currency.

    Ordered by currency, then in the order of `LedgerAccount`, then by subaccount.
    """
    sums = (
        LedgerEntry.objects.order_by()
        .values("account", "subaccount", "currency")
        .annotate(debit=Sum("debit_minor"), credit=Sum("credit_minor"))
    )
    position = {account: n for n, account in enumerate(LedgerAccount.values)}
    balances = (
        AccountBalance(
            account=row["account"],
            subaccount=row["subaccount"],
            currency=row["currency"],
            debit_minor=row["debit"] or 0,
            credit_minor=row["credit"] or 0,
        )
        for row in sums
    )
    return sorted(
        balances,
        key=lambda b: (
            b.currency,
            position.get(b.account, len(position)),
            b.subaccount,
        ),
    )


def ledger_unbalanced_postings() -> list[PostingImbalance]:
    """Every posting whose debits and credits differ in a currency, by name."""
    sums = (
        LedgerEntry.objects.order_by()
        .values("posting", "currency")
        .annotate(debit=Sum("debit_minor"), credit=Sum("credit_minor"))
        .exclude(debit=F("credit"))
        .order_by("posting", "currency")
    )
    return [
        PostingImbalance(
            posting=row["posting"],
            currency=row["currency"],
            debit_minor=row["debit"] or 0,
            credit_minor=row["credit"] or 0,
        )
        for row in sums
    ]


def invoice_amounts_due(*, status: str) -> dict[str, int]:
    """What the invoices in `status` still owe, per currency, in minor units."""
    sums = (
        Invoice.objects.filter(status=status)
        .order_by()
        .values("currency")
        .annotate(due=Sum(F("total_minor") - F("amount_paid_minor")))
    )
    return {row["currency"]: row["due"] for row in sums if row["due"]}


@dataclass(frozen=True, slots=True)
class DailyGatewayTotal:
    """The money that came in at a gateway and went back out of it, on one day
    (UTC), in one currency, as the ledger's cash account holds it."""

    day: dt.date
    gateway: str
    currency: str
    captured_minor: int
    refunded_minor: int
    # What the gateway charged for the day, where it reported it (None: it did not).
    fees_minor: int | None = None

    @property
    def net_minor(self) -> int:
        return self.captured_minor - self.refunded_minor


def daily_gateway_totals(*, starts: dt.date, ends: dt.date) -> list[DailyGatewayTotal]:
    """Per day from `starts` to `ends` (both included), gateway and currency: the
    cash captured (debits of the gateway's cash) and refunded (its credits), in
    one query; days with no cash movement are left out. Fees come from whichever
    app answers `gateway_fees_wanted` (the books do not hold them)."""
    rows = (
        LedgerEntry.objects.filter(
            account=LedgerAccount.GATEWAY_CASH,
            at__gte=dt.datetime.combine(starts, dt.time.min, tzinfo=dt.UTC),
            at__lt=dt.datetime.combine(
                ends + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
            ),
        )
        .annotate(day=TruncDate("at", tzinfo=dt.UTC))
        .values("day", "subaccount", "currency")
        .annotate(captured=Sum("debit_minor"), refunded=Sum("credit_minor"))
        .order_by("day", "subaccount", "currency")
    )
    fees = _gateway_fees(starts, ends)
    return [
        DailyGatewayTotal(
            day=row["day"],
            gateway=row["subaccount"],
            currency=row["currency"],
            captured_minor=row["captured"] or 0,
            refunded_minor=row["refunded"] or 0,
            fees_minor=fees.get((row["day"], row["subaccount"], row["currency"])),
        )
        for row in rows
    ]


FeeKey = tuple[dt.date, str, str]  # day, gateway, currency


def _gateway_fees(starts: dt.date, ends: dt.date) -> dict[FeeKey, int]:
    fees: dict[FeeKey, int] = {}
    answers = gateway_fees_wanted.send(sender=LedgerEntry, starts=starts, ends=ends)
    for _, answer in answers:
        rows = cast(Iterable[tuple[dt.date, str, str, int]], answer)
        for day, gateway, currency, minor in rows:
            key: FeeKey = (day, gateway, currency)
            fees[key] = fees.get(key, 0) + minor
    return fees
