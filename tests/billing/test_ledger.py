"""The ledger: balanced postings, written once, never edited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from billing import outbox
from billing.models import AppendOnlyError, LedgerAccount, LedgerEntry
from billing.money import Money
from billing.services import Leg, Posting, UnbalancedPosting, post_to_ledger

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TEN = Money(1_000, "RUB")


def _transfer(key: str = "fact:1", amount: Money = TEN) -> Posting:
    return Posting.transfer(
        key,
        amount,
        debit=LedgerAccount.GATEWAY_CASH,
        credit=LedgerAccount.REVENUE,
        at=NOW,
        debit_subaccount="x",
    )


@pytest.mark.django_db
class TestPostToLedger:
    def test_a_transfer_writes_a_debit_and_a_credit(self) -> None:
        with outbox.atomic():
            post_to_ledger([_transfer()])

        entries = {(e.account, e.subaccount): e for e in LedgerEntry.objects.all()}
        assert entries[(LedgerAccount.GATEWAY_CASH, "x")].debit_minor == 1_000
        assert entries[(LedgerAccount.REVENUE, "")].credit_minor == 1_000

    def test_an_unbalanced_posting_writes_nothing(self) -> None:
        posting = Posting(
            key="fact:2",
            legs=(
                Leg(LedgerAccount.RECEIVABLE, TEN, debit=True),
                Leg(LedgerAccount.REVENUE, Money(999, "RUB"), debit=False),
            ),
            at=NOW,
        )

        with pytest.raises(UnbalancedPosting), outbox.atomic():
            post_to_ledger([_transfer("fact:ok"), posting])

        assert LedgerEntry.objects.count() == 0

    def test_balances_are_kept_per_currency(self) -> None:
        posting = Posting(
            key="fact:3",
            legs=(
                Leg(LedgerAccount.RECEIVABLE, TEN, debit=True),
                Leg(LedgerAccount.REVENUE, Money(1_000, "USD"), debit=False),
            ),
            at=NOW,
        )

        with pytest.raises(UnbalancedPosting):
            post_to_ledger([posting])

    def test_a_negative_leg_is_refused(self) -> None:
        with pytest.raises(UnbalancedPosting):
            post_to_ledger([_transfer(amount=Money(-1, "RUB"))])

    def test_nothing_is_written_for_zero(self) -> None:
        assert post_to_ledger([_transfer(amount=Money(0, "RUB"))]) == []

    def test_a_posting_is_written_once(self) -> None:
        with outbox.atomic():
            post_to_ledger([_transfer()])

        with pytest.raises(IntegrityError), outbox.atomic():
            post_to_ledger([_transfer()])

    def test_entries_are_append_only(self) -> None:
        with outbox.atomic():
            post_to_ledger([_transfer()])
        entry = LedgerEntry.objects.first()
        assert entry is not None

        entry.memo = "rewritten"
        with pytest.raises(AppendOnlyError):
            entry.save()
        with pytest.raises(AppendOnlyError):
            entry.delete()


@pytest.mark.django_db(transaction=True)
class TestOutsideATransaction:
    def test_a_posting_belongs_in_the_transaction_of_its_fact(self) -> None:
        with pytest.raises(RuntimeError):
            post_to_ledger([_transfer()])

        assert LedgerEntry.objects.count() == 0
