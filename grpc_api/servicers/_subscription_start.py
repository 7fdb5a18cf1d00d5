"""BillingService RPCs that start a subscription, 3-D Secure included."""

from __future__ import annotations


class SubscriptionStartRpcs:
    pass
