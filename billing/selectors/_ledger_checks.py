"""The proof of the books: every way the ledger can disagree with itself or the facts.

- every posting balances in each currency;
- the trial balance (debits and credits per account, gateway and currency) sums to
  zero in each currency;
- receivable equals what open invoices still owe, and uncollectible what written-off
  invoices still owe;
- cash at each gateway equals what that gateway's payments captured less what was
  refunded of them.

The last proof sets the books beside payments' rows. Billing sits below payments and
may not read them, so the caller passes payments' figures in (`cash_held`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from billing.models import InvoiceStatus, LedgerAccount
from billing.money import Money
from billing.selectors._ledger import (
    AccountBalance,
    invoice_amounts_due,
    ledger_account_balances,
    ledger_unbalanced_postings,
)

# What each gateway holds by payments' own rows, per (gateway, currency), in minor
# units: captured less refunded.
CashHeld = Mapping[tuple[str, str], int]


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    """The trial balance, and each problem found with the books, as a sentence."""

    balances: list[AccountBalance]
    problems: list[str]

    @property
    def books_balance(self) -> bool:
        return not self.problems


def check_ledger(*, cash_held: CashHeld) -> LedgerCheck:
    """Prove the books: postings, trial balance, receivables and gateway cash."""
    balances = ledger_account_balances()
    problems = [
        *_posting_problems(),
        *_trial_balance_problems(balances),
        *_invoice_problems(balances),
        *_cash_problems(balances, cash_held),
    ]
    return LedgerCheck(balances=balances, problems=problems)


def amount_text(minor: int, currency: str) -> str:
    """An amount as the books print it: `1,250.00`."""
    return f"{Money(minor, currency).to_decimal():,}"


def _posting_problems() -> list[str]:
    return [
        f"Posting {row.posting} does not balance in {row.currency}: debits "
        f"{amount_text(row.debit_minor, row.currency)}, credits "
        f"{amount_text(row.credit_minor, row.currency)}."
        for row in ledger_unbalanced_postings()
    ]


def _trial_balance_problems(balances: list[AccountBalance]) -> list[str]:
    net: defaultdict[str, int] = defaultdict(int)
    for row in balances:
        net[row.currency] += row.net_minor
    return [
        f"The trial balance does not sum to zero in {currency}: debits exceed "
        f"credits by {amount_text(difference, currency)}."
        for currency, difference in sorted(net.items())
        if difference
    ]


def _invoice_problems(balances: list[AccountBalance]) -> list[str]:
    """Receivable and written-off receivables against the invoices they stand for."""
    problems = []
    for account, status, owed_by in (
        (LedgerAccount.RECEIVABLE, InvoiceStatus.OPEN, "open invoices"),
        (
            LedgerAccount.UNCOLLECTIBLE,
            InvoiceStatus.UNCOLLECTIBLE,
            "written-off invoices",
        ),
    ):
        books = _net(balances, account)
        invoices = invoice_amounts_due(status=status)
        for currency in sorted(set(books) | set(invoices)):
            booked, owed = books.get(currency, 0), invoices.get(currency, 0)
            if booked != owed:
                problems.append(
                    f"{account.label} in {currency} is "
                    f"{amount_text(booked, currency)}, "
                    f"but {owed_by} owe {amount_text(owed, currency)}."
                )
    return problems


def _cash_problems(balances: list[AccountBalance], cash_held: CashHeld) -> list[str]:
    books = {
        (row.subaccount, row.currency): row.net_minor
        for row in balances
        if row.account == LedgerAccount.GATEWAY_CASH and row.net_minor
    }
    held = {key: amount for key, amount in cash_held.items() if amount}
    problems = []
    for gateway, currency in sorted(set(books) | set(held)):
        booked = books.get((gateway, currency), 0)
        moved = held.get((gateway, currency), 0)
        if booked != moved:
            problems.append(
                f"Cash at {gateway or 'no gateway'} in {currency} is "
                f"{amount_text(booked, currency)}, but its payments captured less "
                f"refunded {amount_text(moved, currency)}."
            )
    return problems


def _net(balances: list[AccountBalance], account: str) -> dict[str, int]:
    """An account's debit balance per currency, over its subaccounts."""
    net: defaultdict[str, int] = defaultdict(int)
    for row in balances:
        if row.account == account:
            net[row.currency] += row.net_minor
    return {currency: amount for currency, amount in net.items() if amount}
