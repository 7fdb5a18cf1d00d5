"""Prices of snacks: whole minor units of an active ISO 4217 currency."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kit.currencies import is_active_currency


def validate_currency(value: object) -> None:
    """:raises ValidationError: when `value` is not an active ISO 4217 code."""
    if not is_active_currency(value):
        raise ValidationError(
            "%(value)s is not an active ISO 4217 currency code such as EUR or RUB.",
            code="unknown_currency",
            params={"value": value},
        )
