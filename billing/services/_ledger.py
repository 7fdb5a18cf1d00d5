"""Posting to the double-entry ledger, inside the transaction of the fact recorded.

Every money fact posts once, named after the fact:

| fact                          | debit                   | credit                 |
| ----------------------------- | ----------------------- | ---------------------- |
| invoice issued                | receivable              | revenue                |
| invoice paid                  | cash at the gateway     | receivable             |
| payment for no invoice        | cash at the gateway     | revenue                |
| refund                        | refunds                 | cash at the gateway    |
| invoice written off           | uncollectible           | receivable             |
| written-off invoice paid      | cash at the gateway     | uncollectible          |
| open invoice voided           | revenue                 | receivable             |
| money for a void/paid invoice | cash at the gateway     | customer credit        |
| credit carried to an invoice  | customer credit         | (part of the issue)    |
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from billing.errors import DomainError
from billing.models import LedgerAccount, LedgerEntry
from billing.money import Money


class UnbalancedPosting(DomainError):
    """A posting's debits and credits differ."""

    code = "unbalanced_posting"


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a posting: `amount` debited (or credited) to `account`."""

    account: LedgerAccount
    amount: Money
    debit: bool
    # The gateway, for cash at a gateway.
    subaccount: str = ""


@dataclass(frozen=True, slots=True)
class Posting:
    """Legs that balance per currency, recorded under a name used once (`key`)."""

    key: str
    legs: Sequence[Leg]
    at: dt.datetime
    payer_id: uuid.UUID | None = None
    memo: str = ""

    @classmethod
    def transfer(
        cls,
        key: str,
        amount: Money,
        *,
        debit: LedgerAccount,
        credit: LedgerAccount,
        at: dt.datetime,
        payer_id: uuid.UUID | None = None,
        memo: str = "",
        debit_subaccount: str = "",
        credit_subaccount: str = "",
    ) -> Posting:
        """A two-leg posting: `amount` from `credit` to `debit`."""
        return cls(
            key=key,
            legs=(
                Leg(debit, amount, debit=True, subaccount=debit_subaccount),
                Leg(credit, amount, debit=False, subaccount=credit_subaccount),
            ),
            at=at,
            payer_id=payer_id,
            memo=memo,
        )


@dataclass
class _Balance:
    debits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    credits: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def post_to_ledger(postings: Sequence[Posting]) -> list[LedgerEntry]:
    """Write `postings` in one INSERT, inside the caller's transaction.

    Zero-amount legs are left out (a posting of nothing writes nothing).

    :raises UnbalancedPosting: when a posting's debits and credits differ in a
        currency; nothing is written then.
    :raises IntegrityError: when a posting with the same key was written before.
    """
    entries: list[LedgerEntry] = []
    for posting in postings:
        _require_balanced(posting)
        entries.extend(
            LedgerEntry(
                posting=posting.key,
                account=leg.account,
                subaccount=leg.subaccount,
                currency=leg.amount.currency,
                debit_minor=leg.amount.amount_minor if leg.debit else 0,
                credit_minor=0 if leg.debit else leg.amount.amount_minor,
                payer_id=posting.payer_id,
                memo=posting.memo[:200],
                at=posting.at,
            )
            for leg in posting.legs
            if leg.amount.amount_minor
        )
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a posting belongs in the transaction of its fact")
    return LedgerEntry.objects.bulk_create(entries)


def _require_balanced(posting: Posting) -> None:
    balance = _Balance()
    for leg in posting.legs:
        if leg.amount.amount_minor < 0:
            raise UnbalancedPosting(
                "A ledger leg cannot be negative; swap its side instead.",
                extra={"posting": posting.key, "account": leg.account},
            )
        side = balance.debits if leg.debit else balance.credits
        side[leg.amount.currency] += leg.amount.amount_minor
    currencies = set(balance.debits) | set(balance.credits)
    unbalanced = {
        currency: {
            "debit_minor": balance.debits[currency],
            "credit_minor": balance.credits[currency],
        }
        for currency in sorted(currencies)
        if balance.debits[currency] != balance.credits[currency]
    }
    if unbalanced:
        raise UnbalancedPosting(extra={"posting": posting.key, **unbalanced})
