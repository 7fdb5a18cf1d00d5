"""The calls the shop makes to billing for an order's hold, as a port.

The shop is billing's client like any other service: it asks over gRPC
(`snacks.billing_grpc`) and learns outcomes only from the event stream. Settings
name the implementation (`SHOP_BILLING_CALLS`), so that tests of the order flow
alone can stand in a recording fake while journeys drive the real server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from snacks.errors import ShopError


@dataclass(frozen=True)
class Hold:
    """What billing asked to hold on a card for an order."""

    payer_id: uuid.UUID
    amount_minor: int
    currency: str
    reference: str
    description: str
    idempotency_key: str


@dataclass(frozen=True)
class HoldAnswer:
    """Billing's first answer to a hold: its payment, or the page to pay on.

    `status` is billing's payment status (AUTHORIZED, REQUIRES_ACTION, FAILED,
    PENDING); the event stream has the last word on it.
    """

    payment_id: uuid.UUID | None
    status: str
    checkout_url: str = ""
    failure: str = ""


class BillingUnavailable(ShopError):
    """Billing could not be reached, or its gateway could not; nothing was done."""

    code = "billing_unavailable"
    http_status = 503


class BillingRefused(ShopError):
    """Billing refused the call; `extra.reason` has its error code."""

    code = "billing_refused"
    http_status = 409


class NoSavedCard(BillingRefused):
    """The member has no usable saved card: the hold needs the checkout page."""

    code = "no_saved_card"


class BillingCalls(Protocol):
    def authorize(self, hold: Hold) -> HoldAnswer:
        """Hold the amount on the payer's saved card.

        :raises NoSavedCard, BillingRefused, BillingUnavailable:
        """

    def open_checkout(
        self, hold: Hold, *, success_url: str, failure_url: str
    ) -> HoldAnswer:
        """Open billing's hosted page that holds the amount and saves the card.

        :raises BillingRefused, BillingUnavailable:
        """

    def capture(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        """Take the held amount. :raises BillingRefused, BillingUnavailable:"""

    def void(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        """Release the hold. :raises BillingRefused, BillingUnavailable:"""


def billing_calls() -> BillingCalls:
    """The implementation settings name."""
    calls: BillingCalls = import_string(settings.SHOP_BILLING_CALLS)()
    return calls
