"""BillingService RPCs of one-off payments: authorize, capture, void, charge, refund."""

from __future__ import annotations


class OneOffPaymentRpcs:
    pass
