"""What an invoice to issue holds: its lines, in its currency."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from billing.models import BillingReason, InvoiceLineKind
from billing.money import Money


@dataclass(frozen=True, slots=True)
class LineDraft:
    kind: InvoiceLineKind
    description: str
    # Negative for a credit.
    amount: Money
    period_starts_at: dt.datetime | None = None
    period_ends_at: dt.datetime | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """An invoice to issue: who owes what, for which subscription period."""

    payer_id: uuid.UUID
    currency: str
    billing_reason: BillingReason
    lines: Sequence[LineDraft]
    description: str = ""
    subscription_id: uuid.UUID | None = None
    period_starts_at: dt.datetime | None = None
    period_ends_at: dt.datetime | None = None

    @property
    def total(self) -> Money:
        return self._sum(self.lines)

    @property
    def credit_used(self) -> Money:
        """Credit owed to the payer that this invoice uses up (its CREDIT lines).

        It comes out of customer credit, not out of revenue.
        """
        credits = [line for line in self.lines if line.kind == InvoiceLineKind.CREDIT]
        return -self._sum(credits)

    def _sum(self, lines: Sequence[LineDraft]) -> Money:
        total = Money(0, self.currency)
        for line in lines:
            total += line.amount
        return total
