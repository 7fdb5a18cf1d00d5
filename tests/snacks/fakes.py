"""A stand-in for billing behind the shop's hold port, for tests of the shop alone.

Journeys drive the real gRPC server instead (tests/journeys/test_shop_orders.py).
`settings.SHOP_BILLING_CALLS` names `FakeBillingCalls`; each instance works on the
one `FakeBilling` that the `billing` fixture resets per test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from snacks.billing_calls import (
    BillingRefused,
    BillingUnavailable,
    Hold,
    HoldAnswer,
    NoSavedCard,
)


@dataclass
class FakeBilling:
    """What billing was asked, and how it answers."""

    payers_with_cards: set[uuid.UUID] = field(default_factory=set)
    unavailable: bool = False
    refuse_with: str = ""
    holds: dict[str, HoldAnswer] = field(default_factory=dict)
    authorizations: list[Hold] = field(default_factory=list)
    checkouts: list[Hold] = field(default_factory=list)
    captures: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    voids: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    calls: int = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def give_card(self, payer_id: uuid.UUID) -> None:
        """The payer has a saved card: holds are authorized on it."""
        self.payers_with_cards.add(payer_id)


BILLING = FakeBilling()


class FakeBillingCalls:
    def authorize(self, hold: Hold) -> HoldAnswer:
        self._check()
        BILLING.authorizations.append(hold)
        if hold.payer_id not in BILLING.payers_with_cards:
            raise NoSavedCard("No saved card.", extra={"reason": "no_card"})
        # Like billing: the same key answers the first result.
        return BILLING.holds.setdefault(
            hold.idempotency_key,
            HoldAnswer(payment_id=uuid.uuid4(), status="AUTHORIZED"),
        )

    def open_checkout(
        self, hold: Hold, *, success_url: str, failure_url: str
    ) -> HoldAnswer:
        self._check()
        BILLING.checkouts.append(hold)
        return HoldAnswer(
            payment_id=None,
            status="REQUIRES_ACTION",
            checkout_url=f"https://billing.example/checkout/{hold.idempotency_key}/",
        )

    def capture(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        self._check()
        BILLING.captures.append((payment_id, idempotency_key))

    def void(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        self._check()
        BILLING.voids.append((payment_id, idempotency_key))

    def _check(self) -> None:
        BILLING.calls += 1
        if BILLING.unavailable:
            raise BillingUnavailable("Billing is down.")
        if BILLING.refuse_with:
            raise BillingRefused("Refused.", extra={"reason": BILLING.refuse_with})
