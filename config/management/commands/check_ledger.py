"""`python manage.py check_ledger`: prove that the books balance and match the facts.

The proofs:

- every posting balances in each currency;
- the trial balance (debits and credits per account, gateway and currency) sums to
  zero in each currency;
- receivable equals what open invoices still owe, and uncollectible what written-off
  invoices still owe;
- cash at each gateway equals what that gateway's payments captured minus what was
  refunded of them.

The last proof sets billing's books beside payments' rows. Billing sits below
payments and may not import it, so the command lives in `config`, which wires the
apps together and may import any of them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Sum

from billing.models import InvoiceStatus, LedgerAccount
from billing.money import Money
from billing.selectors import (
    AccountBalance,
    invoice_amounts_due,
    ledger_account_balances,
    ledger_unbalanced_postings,
)
from payments.models import Payment

A = LedgerAccount
_COLUMNS = "  {:<16} {:<14} {:>18} {:>18} {:>21}"


class Command(BaseCommand):
    help = (
        "Print the trial balance and prove the books: every posting balances, the "
        "trial balance sums to zero per currency, receivable matches the open "
        "invoices and gateway cash matches the payments. Exits with 1 on a problem."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        balances = ledger_account_balances()
        self._print_trial_balance(balances)
        problems = [
            *_posting_problems(),
            *_trial_balance_problems(balances),
            *_invoice_problems(balances),
            *_cash_problems(balances),
        ]
        if not problems:
            self.stdout.write(self.style.SUCCESS("The books balance."))
            return
        self.stdout.write("")
        self.stdout.write(f"Problems ({len(problems)}):")
        for problem in problems:
            self.stdout.write(f"  - {problem}")
        raise CommandError(
            f"The books do not balance: {len(problems)} problem(s), listed above.",
            returncode=1,
        )

    def _print_trial_balance(self, balances: list[AccountBalance]) -> None:
        if not balances:
            self.stdout.write("The ledger is empty.")
            return
        self.stdout.write("Trial balance")
        self.stdout.write(
            _COLUMNS.format("account", "gateway", "debits", "credits", "balance")
        )
        unusual = False
        for currency in sorted({b.currency for b in balances}):
            rows = [b for b in balances if b.currency == currency]
            self.stdout.write(f"  {currency}")
            for row in rows:
                mark = "" if row.is_on_normal_side else " *"
                unusual = unusual or bool(mark)
                self.stdout.write(
                    _COLUMNS.format(
                        row.account,
                        row.subaccount,
                        _amount(row.debit_minor, currency),
                        _amount(row.credit_minor, currency),
                        _side(row.net_minor, currency) + mark,
                    )
                )
            debits = sum(row.debit_minor for row in rows)
            credits = sum(row.credit_minor for row in rows)
            self.stdout.write(
                _COLUMNS.format(
                    f"total {currency}",
                    "",
                    _amount(debits, currency),
                    _amount(credits, currency),
                    _side(debits - credits, currency),
                )
            )
        if unusual:
            self.stdout.write("  * a balance on the unusual side for its account")
        self.stdout.write("")


def _posting_problems() -> list[str]:
    return [
        f"Posting {row.posting} does not balance in {row.currency}: debits "
        f"{_amount(row.debit_minor, row.currency)}, credits "
        f"{_amount(row.credit_minor, row.currency)}."
        for row in ledger_unbalanced_postings()
    ]


def _trial_balance_problems(balances: list[AccountBalance]) -> list[str]:
    net: defaultdict[str, int] = defaultdict(int)
    for row in balances:
        net[row.currency] += row.net_minor
    return [
        f"The trial balance does not sum to zero in {currency}: debits exceed "
        f"credits by {_amount(difference, currency)}."
        for currency, difference in sorted(net.items())
        if difference
    ]


def _invoice_problems(balances: list[AccountBalance]) -> list[str]:
    """Receivable and written-off receivables against the invoices they stand for."""
    problems = []
    for account, status, owed_by in (
        (A.RECEIVABLE, InvoiceStatus.OPEN, "open invoices"),
        (A.UNCOLLECTIBLE, InvoiceStatus.UNCOLLECTIBLE, "written-off invoices"),
    ):
        books = _net(balances, account)
        invoices = invoice_amounts_due(status=status)
        for currency in sorted(set(books) | set(invoices)):
            booked, owed = books.get(currency, 0), invoices.get(currency, 0)
            if booked != owed:
                problems.append(
                    f"{account.label} in {currency} is {_amount(booked, currency)}, "
                    f"but {owed_by} owe {_amount(owed, currency)}."
                )
    return problems


def _cash_problems(balances: list[AccountBalance]) -> list[str]:
    books = {
        (row.subaccount, row.currency): row.net_minor
        for row in balances
        if row.account == A.GATEWAY_CASH and row.net_minor
    }
    payments = _captured_less_refunded()
    problems = []
    for gateway, currency in sorted(set(books) | set(payments)):
        booked = books.get((gateway, currency), 0)
        moved = payments.get((gateway, currency), 0)
        if booked != moved:
            problems.append(
                f"Cash at {gateway or 'no gateway'} in {currency} is "
                f"{_amount(booked, currency)}, but its payments captured less "
                f"refunded {_amount(moved, currency)}."
            )
    return problems


def _captured_less_refunded() -> dict[tuple[str, str], int]:
    """What each gateway holds by payments' own rows, per (gateway, currency)."""
    rows = (
        Payment.objects.order_by()
        .values("gateway", "currency")
        .annotate(held=Sum(F("captured_minor") - F("refunded_minor")))
    )
    return {
        (row["gateway"], row["currency"]): int(row["held"])
        for row in rows
        if row["held"]
    }


def _net(balances: list[AccountBalance], account: str) -> dict[str, int]:
    """An account's debit balance per currency, over its subaccounts."""
    net: defaultdict[str, int] = defaultdict(int)
    for row in balances:
        if row.account == account:
            net[row.currency] += row.net_minor
    return {currency: amount for currency, amount in net.items() if amount}


def _amount(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).to_decimal():,}"


def _side(net_minor: int, currency: str) -> str:
    """A balance as accountants write it: `599.00 Dr`, `1,198.00 Cr`, `0.00`."""
    text = _amount(abs(net_minor), currency)
    if net_minor > 0:
        return f"{text} Dr"
    if net_minor < 0:
        return f"{text} Cr"
    return f"{text}   "
