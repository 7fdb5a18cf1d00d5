"""Ledger rows written by hand, for tests of what the proof of the books finds."""

from __future__ import annotations

import datetime as dt

from billing.models import LedgerEntry

AT = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)


def hand_made(posting: str, *legs: tuple[str, str, int, int]) -> None:
    """Ledger rows in RUB written directly, past the services' balance check."""
    for account, subaccount, debit_minor, credit_minor in legs:
        LedgerEntry.objects.create(
            posting=posting,
            account=account,
            subaccount=subaccount,
            currency="RUB",
            debit_minor=debit_minor,
            credit_minor=credit_minor,
            at=AT,
        )
