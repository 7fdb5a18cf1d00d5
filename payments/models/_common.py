"""Column conventions shared by the payment models."""

from __future__ import annotations

from django.db import models

CURRENCY_FORMAT = models.Q(currency__regex=r"^[A-Z]{3}$")


class Gateway(models.TextChoices):
    CLOUDPAYMENTS = "cloudpayments", "CloudPayments"
    STRIPE = "stripe", "Stripe"
    FAKE = "fake", "Fake (tests)"
