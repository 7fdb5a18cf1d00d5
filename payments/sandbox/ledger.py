"""What the sandbox really did with money, whether or not the reply reached the client.

This is the gateway's truth: reconciliation and the fault tests compare the service's
books with it, so every capture, authorization, void and refund lands here the
moment the sandbox performs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Literal

LedgerKind = Literal["authorize", "capture", "void", "refund"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    gateway: str
    kind: LedgerKind
    transaction_id: str
    amount_minor: int
    currency: str
    account_id: str | None
    invoice_id: str | None
    reference: str | None
    at: dt.datetime

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class Ledger:
    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []

    def record(self, entry: LedgerEntry) -> None:
        self._entries.append(entry)

    def reset(self) -> None:
        self._entries.clear()

    def entries(
        self,
        *,
        gateway: str | None = None,
        account_id: str | None = None,
        invoice_id: str | None = None,
        reference: str | None = None,
    ) -> list[LedgerEntry]:
        wanted = {
            "gateway": gateway,
            "account_id": account_id,
            "invoice_id": invoice_id,
            "reference": reference,
        }
        return [
            entry
            for entry in self._entries
            if all(
                value is None or getattr(entry, name) == value
                for name, value in wanted.items()
            )
        ]

    @staticmethod
    def totals(entries: list[LedgerEntry]) -> dict[str, dict[str, int]]:
        """Captured and refunded money per currency, in minor units."""
        totals: dict[str, dict[str, int]] = {}
        for entry in entries:
            row = totals.setdefault(
                entry.currency, {"captured_minor": 0, "refunded_minor": 0}
            )
            if entry.kind == "capture":
                row["captured_minor"] += entry.amount_minor
            elif entry.kind == "refund":
                row["refunded_minor"] += entry.amount_minor
        return totals
