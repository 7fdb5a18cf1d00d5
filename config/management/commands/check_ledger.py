"""`python manage.py check_ledger`: prove that the books balance and match the facts.

The proofs are billing's (`billing.selectors.check_ledger`); payments' figures of
the cash each gateway holds are passed in here, in `config`, which wires the apps
together. This command prints the trial balance and the problems found, and exits
with 1 when there is any.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import AccountBalance, amount_text, check_ledger
from payments.selectors import cash_held_by_gateway

_COLUMNS = "  {:<16} {:<14} {:>18} {:>18} {:>21}"


class Command(BaseCommand):
    help = (
        "Print the trial balance and prove the books: every posting balances, the "
        "trial balance sums to zero per currency, receivable matches the open "
        "invoices and gateway cash matches the payments. Exits with 1 on a problem."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = check_ledger(cash_held=cash_held_by_gateway())
        self._print_trial_balance(result.balances)
        if result.books_balance:
            self.stdout.write(self.style.SUCCESS("The books balance."))
            return
        problems = result.problems
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
        for currency in sorted({balance.currency for balance in balances}):
            rows = [balance for balance in balances if balance.currency == currency]
            self.stdout.write(f"  {currency}")
            for row in rows:
                mark = "" if row.is_on_normal_side else " *"
                unusual = unusual or bool(mark)
                self.stdout.write(
                    _COLUMNS.format(
                        row.account,
                        row.subaccount,
                        amount_text(row.debit_minor, currency),
                        amount_text(row.credit_minor, currency),
                        _side(row.net_minor, currency) + mark,
                    )
                )
            debits = sum(row.debit_minor for row in rows)
            credits = sum(row.credit_minor for row in rows)
            self.stdout.write(
                _COLUMNS.format(
                    f"total {currency}",
                    "",
                    amount_text(debits, currency),
                    amount_text(credits, currency),
                    _side(debits - credits, currency),
                )
            )
        if unusual:
            self.stdout.write("  * a balance on the unusual side for its account")
        self.stdout.write("")


def _side(net_minor: int, currency: str) -> str:
    """A balance as accountants write it: `599.00 Dr`, `1,198.00 Cr`, `0.00`."""
    text = amount_text(abs(net_minor), currency)
    if net_minor > 0:
        return f"{text} Dr"
    if net_minor < 0:
        return f"{text} Cr"
    return f"{text}   "
