"""The gateways that payments move money through."""

from __future__ import annotations

from django.db import models


class Gateway(models.TextChoices):
    CLOUDPAYMENTS = "cloudpayments", "CloudPayments"
    STRIPE = "stripe", "Stripe"
    FAKE = "fake", "Fake (tests)"
