"""The double-entry ledger: append-only postings whose debits equal their credits."""

from __future__ import annotations

from typing import Any, Final

from django.db import models

from billing.models._history import AppendOnlyError
from billing.models._payers import Payer
from billing.models._status import CURRENCY_FORMAT
from billing.money import Money


class LedgerAccount(models.TextChoices):
    """The accounts of the books, each kept per currency (and gateway for cash)."""

    RECEIVABLE = "RECEIVABLE", "Accounts receivable (asset)"
    GATEWAY_CASH = "GATEWAY_CASH", "Cash at the gateway (asset)"
    REVENUE = "REVENUE", "Revenue (income)"
    REFUNDS = "REFUNDS", "Refunds (contra-revenue)"
    CUSTOMER_CREDIT = "CUSTOMER_CREDIT", "Credit owed to payers (liability)"
    UNCOLLECTIBLE = "UNCOLLECTIBLE", "Uncollectible receivables (expense)"


# Accounts whose balance is debits minus credits; the others the other way round.
DEBIT_NORMAL_ACCOUNTS: Final = frozenset(
    {
        LedgerAccount.RECEIVABLE,
        LedgerAccount.GATEWAY_CASH,
        LedgerAccount.REFUNDS,
        LedgerAccount.UNCOLLECTIBLE,
    }
)


class LedgerEntry(models.Model):
    """One leg of a posting: a debit or a credit to one account.

    The entries sharing a `posting` balance per currency (written together by
    `billing.ledger.post`, proved by `manage.py check_ledger`). A posting is named
    after the fact it records ("invoice:12:issued"), so it is written once: the unique
    constraint refuses a second copy, whatever retries happen.
    """

    posting = models.CharField(max_length=120)
    account = models.CharField(max_length=20, choices=LedgerAccount.choices)
    # Which gateway holds the cash; empty for the other accounts.
    subaccount = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3)
    debit_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)
    payer = models.ForeignKey(
        Payer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    memo = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(debit_minor__gt=0, credit_minor=0)
                    | models.Q(debit_minor=0, credit_minor__gt=0)
                ),
                name="ledger_entry_one_side",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="ledger_entry_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(account__in=LedgerAccount.values),
                name="ledger_entry_account_valid",
            ),
            models.UniqueConstraint(
                fields=["posting", "account", "subaccount", "currency"],
                name="ledger_entry_once_per_posting",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "subaccount", "currency"], name="ledger_account"
            ),
        ]

    def __str__(self) -> str:
        side = "Dr" if self.debit_minor else "Cr"
        return f"{self.posting} {side} {self.account} {self.amount} ({self.id})"

    @property
    def amount(self) -> Money:
        return Money(self.debit_minor or self.credit_minor, self.currency)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("ledger entries are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("ledger entries are never deleted")
