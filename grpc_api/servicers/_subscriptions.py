"""BillingService RPCs of payers and subscriptions: read, list, cancel, resume, move."""

from __future__ import annotations


class SubscriptionRpcs:
    pass
