"""The proof of the books: postings, trial balance, receivables and gateway cash."""

from __future__ import annotations

import uuid

import pytest

from billing.models import LedgerAccount
from billing.selectors import LedgerCheck, check_ledger
from tests.billing.factories import issue, pay
from tests.billing.ledger_rows import hand_made

pytestmark = pytest.mark.django_db

# Two invoices of 999.00 issued, the first paid at the fake gateway.
CASH_HELD = {("fake", "RUB"): 99_900}


def books_of_two_invoices_one_paid() -> None:
    payer_id = uuid.uuid4()
    pay(issue(payer_id))
    issue(payer_id)


def checked(cash_held: dict[tuple[str, str], int] = CASH_HELD) -> LedgerCheck:
    return check_ledger(cash_held=cash_held)


class TestCheckLedger:
    def test_an_empty_ledger_balances(self) -> None:
        result = check_ledger(cash_held={})

        assert result.balances == []
        assert result.problems == []
        assert result.books_balance

    def test_books_written_by_the_services_balance(self) -> None:
        books_of_two_invoices_one_paid()

        result = checked()

        assert result.problems == []
        assert result.books_balance
        assert [
            (row.account, row.subaccount, row.net_minor) for row in result.balances
        ] == [
            (LedgerAccount.RECEIVABLE, "", 99_900),
            (LedgerAccount.GATEWAY_CASH, "fake", 99_900),
            (LedgerAccount.REVENUE, "", -199_800),
        ]

    def test_an_unbalanced_posting_unbalances_the_trial_balance(self) -> None:
        books_of_two_invoices_one_paid()
        hand_made("hand:unbalanced", (LedgerAccount.REVENUE, "", 0, 500))

        result = checked()

        assert not result.books_balance
        assert result.problems == [
            "Posting hand:unbalanced does not balance in RUB: debits 0.00, credits "
            "5.00.",
            "The trial balance does not sum to zero in RUB: debits exceed credits by "
            "-5.00.",
        ]

    def test_receivable_no_open_invoice_owes_is_a_problem(self) -> None:
        """A balanced posting can still be wrong: receivable with no invoice."""
        books_of_two_invoices_one_paid()
        hand_made(
            "hand:receivable",
            (LedgerAccount.RECEIVABLE, "", 700, 0),
            (LedgerAccount.REVENUE, "", 0, 700),
        )

        assert checked().problems == [
            "Accounts receivable (asset) in RUB is 1,006.00, but open invoices owe "
            "999.00."
        ]

    def test_written_off_receivables_are_checked_against_uncollectible_invoices(
        self,
    ) -> None:
        books_of_two_invoices_one_paid()
        hand_made(
            "hand:write-off",
            (LedgerAccount.UNCOLLECTIBLE, "", 999, 0),
            (LedgerAccount.RECEIVABLE, "", 0, 999),
        )

        assert checked().problems == [
            "Accounts receivable (asset) in RUB is 989.01, but open invoices owe "
            "999.00.",
            "Uncollectible receivables (expense) in RUB is 9.99, but written-off "
            "invoices owe 0.00.",
        ]

    def test_cash_the_payments_do_not_account_for_is_a_problem(self) -> None:
        books_of_two_invoices_one_paid()

        result = checked({("fake", "RUB"): 90_000, ("stripe", "RUB"): 500})

        assert result.problems == [
            "Cash at fake in RUB is 999.00, but its payments captured less refunded "
            "900.00.",
            "Cash at stripe in RUB is 0.00, but its payments captured less refunded "
            "5.00.",
        ]

    def test_a_balance_on_the_unusual_side_of_its_account_is_marked(self) -> None:
        """Cash at a gateway in credit: more went out than came in."""
        hand_made(
            "hand:overdrawn",
            (LedgerAccount.REFUNDS, "", 300, 0),
            (LedgerAccount.GATEWAY_CASH, "fake", 0, 300),
        )

        result = check_ledger(cash_held={})

        sides = {row.account: row.is_on_normal_side for row in result.balances}
        assert sides == {LedgerAccount.GATEWAY_CASH: False, LedgerAccount.REFUNDS: True}
        assert result.problems == [
            "Cash at fake in RUB is -3.00, but its payments captured less refunded "
            "0.00."
        ]
