"""What the sandbox really did with money, whether or not the reply reached the client.

This is the gateway's truth: reconciliation and the fault tests compare the service's
books with it, so every capture, authorization, void and refund lands here the
moment the sandbox performs it. When a reconciliation knob rewrites the gateway's
record of a payment, the ledger follows: an `adjustment` (signed) for captured money
that the record no longer shows, and a forgotten payment's entries are removed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Literal, get_args

from gateway_sandbox.snapshots import JsonObject, Record, UnreadableState

LedgerKind = Literal["authorize", "capture", "void", "refund", "adjustment"]
_KINDS: tuple[LedgerKind, ...] = get_args(LedgerKind)


@dataclass(frozen=True, slots=True)
class GatewayLedgerEntry:
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

    @classmethod
    def from_json(cls, data: Record) -> GatewayLedgerEntry:
        """:raises UnreadableState: for data that `as_json` did not write."""
        kind = next((k for k in _KINDS if k == data.text("kind")), None)
        if kind is None:
            raise UnreadableState(f"unknown ledger entry kind {data.text('kind')!r}")
        return cls(
            gateway=data.text("gateway"),
            kind=kind,
            transaction_id=data.text("transaction_id"),
            amount_minor=data.integer("amount_minor"),
            currency=data.text("currency"),
            account_id=data.optional_text("account_id"),
            invoice_id=data.optional_text("invoice_id"),
            reference=data.optional_text("reference"),
            at=data.moment("at"),
        )


class Ledger:
    def __init__(self) -> None:
        self._entries: list[GatewayLedgerEntry] = []

    def record(self, entry: GatewayLedgerEntry) -> None:
        self._entries.append(entry)

    def reset(self) -> None:
        self._entries.clear()

    def forget(self, gateway: str, transaction_ids: set[str]) -> None:
        """Remove the entries of transactions the gateway no longer knows."""
        self._entries = [
            entry
            for entry in self._entries
            if entry.gateway != gateway or entry.transaction_id not in transaction_ids
        ]

    def snapshot(self) -> list[JsonObject]:
        return [entry.as_json() for entry in self._entries]

    def restore(self, entries: list[Record]) -> None:
        """:raises UnreadableState: for entries that `snapshot` did not write."""
        self._entries = [GatewayLedgerEntry.from_json(entry) for entry in entries]

    def entries(
        self,
        *,
        gateway: str | None = None,
        account_id: str | None = None,
        invoice_id: str | None = None,
        reference: str | None = None,
    ) -> list[GatewayLedgerEntry]:
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
    def totals(entries: list[GatewayLedgerEntry]) -> dict[str, dict[str, int]]:
        """Captured and refunded money per currency, in minor units.

        Adjustments (signed) count as captured money: they correct what was captured.
        """
        totals: dict[str, dict[str, int]] = {}
        for entry in entries:
            row = totals.setdefault(
                entry.currency, {"captured_minor": 0, "refunded_minor": 0}
            )
            if entry.kind in ("capture", "adjustment"):
                row["captured_minor"] += entry.amount_minor
            elif entry.kind == "refund":
                row["refunded_minor"] += entry.amount_minor
        return totals
