"""What every part of a renewal run shares: its settings, its clock, its report."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from billing.models import Invoice
from payments.models import Payment
from subscriptions.services._charge_outcomes import DunningPolicy

RENEWAL_ACTOR: Final = "system:renewals"


@dataclass
class RenewalReport:
    """What a run did; counters are safe to bump from the charging threads."""

    gateway: str
    skipped: bool = False
    claimed: int = 0
    charged: int = 0
    # Outcomes (subscriptions._charge_outcomes.Outcome), and cancellations at
    # period end.
    paid: int = 0
    failed: int = 0
    waiting: int = 0
    ended: int = 0
    canceled: int = 0
    errors: int = 0
    # Stopped by its time budget with subscriptions still due.
    more_due: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)


@dataclass(frozen=True)
class RenewalRun:
    """One run of one gateway: whom it bills, by which clock, under which policy."""

    gateway: str
    clock: Callable[[], dt.datetime]
    offsets: dict[uuid.UUID, dt.timedelta]
    policy: DunningPolicy
    batch_size: int
    report: RenewalReport
    # Marks the subscriptions this run claimed (`Subscription.claimed_by`).
    run_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # Due means due at or before this moment (plus a payer's test-clock offset).
    as_of: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", self.clock())

    def now_for(self, payer_id: uuid.UUID) -> dt.datetime:
        """The moment on `payer_id`'s clock (the service's, moved by its offset)."""
        return self.clock() + self.offsets.get(payer_id, dt.timedelta(0))


@dataclass(frozen=True, slots=True)
class PreparedCharge:
    """A prepared payment for a subscription's invoice, ready to send."""

    subscription_id: uuid.UUID
    payer_id: uuid.UUID
    invoice: Invoice
    payment: Payment

    def log_extra(self) -> dict[str, str]:
        return {
            "subscription": str(self.subscription_id),
            "payment": str(self.payment.id),
        }
